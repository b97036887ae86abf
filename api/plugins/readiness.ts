import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export type CheckResult = { status: 'up' | 'down'; latencyMs: number; error?: string };
export type DependencyCheck = () => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    readiness: { register(name: string, check: DependencyCheck): void; run(): Promise<Record<string, CheckResult>> };
  }
}

const CHECK_TIMEOUT_MS = 2_000;

/** Dependencies (PostgreSQL, Temporal, ...) register a check; GET /ready runs them all at once. */
export default fp(
  async (app: FastifyInstance) => {
    const checks = new Map<string, DependencyCheck>();
    app.decorate('readiness', {
      register: (name: string, check: DependencyCheck) => void checks.set(name, check),
      run: async () => {
        const entries = await Promise.all(
          [...checks].map(async ([name, check]) => [name, await timed(check)] as const),
        );
        return Object.fromEntries(entries);
      },
    });
  },
  { name: 'readiness' },
);

async function timed(check: DependencyCheck): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
