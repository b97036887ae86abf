import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export type CheckResult = { status: 'up' | 'down'; required: boolean; latencyMs: number; error?: string };
export type DependencyCheck = () => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    readiness: {
      /**
       * `required: false` for a dependency this instance can serve traffic without (GET /ready
       * then says `degraded`, still 200, so a load balancer keeps sending it requests).
       */
      register(name: string, check: DependencyCheck, options?: { required?: boolean }): void;
      run(): Promise<Record<string, CheckResult>>;
    };
  }
}

export const CHECK_TIMEOUT_MS = 2_000;

/** Dependencies (PostgreSQL, Temporal, ...) register a check; GET /ready runs them all at once. */
export default fp(
  async (app: FastifyInstance) => {
    const checks = new Map<string, { check: DependencyCheck; required: boolean }>();
    app.decorate('readiness', {
      register: (name: string, check: DependencyCheck, options: { required?: boolean } = {}) =>
        void checks.set(name, { check, required: options.required ?? true }),
      run: async () => {
        const entries = await Promise.all(
          [...checks].map(
            async ([name, { check, required }]) => [name, { ...(await timed(check)), required }] as const,
          ),
        );
        return Object.fromEntries(entries);
      },
    });
  },
  { name: 'readiness' },
);

async function timed(check: DependencyCheck): Promise<Omit<CheckResult, 'required'>> {
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
