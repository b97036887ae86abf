import { afterAll, beforeAll } from 'vitest';
import { migrateReadModels } from '../../../projections/migrate.js';
import { type RunningProjectors, startProjectors } from '../../../projections/runtime/start.js';
import type { SmsStack } from '../../support/sms-stack.js';

/** Calls the API in process; `token` defaults to the bootstrap admin token, `null` sends none. */
export async function api(
  stack: SmsStack,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  options: { token?: string | null; body?: unknown } = {},
) {
  const token = options.token === undefined ? stack.config.ADMIN_API_TOKEN : options.token;
  const response = await stack.app.inject({
    method,
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(options.body !== undefined ? { payload: options.body as Record<string, unknown> } : {}),
  });
  return { status: response.statusCode, body: response.json() as Record<string, unknown>, headers: response.headers };
}

/** A program token of the given role, made through POST /api/tokens with the bootstrap token. */
export async function tokenFor(stack: SmsStack, role: 'ops' | 'analyst'): Promise<string> {
  const created = await api(stack, 'POST', '/api/tokens', { body: { name: `${role}-${Date.now()}`, role } });
  if (created.status !== 201) throw new Error(`POST /api/tokens answered ${created.status}`);
  return created.body.token as string;
}

/** The read models migrated and the named projections following the stack's log, for the describe block. */
export function useProjections(stack: SmsStack, only: string[]): { projectors: () => RunningProjectors } {
  let running: RunningProjectors | undefined;
  beforeAll(async () => {
    const databaseUrl = stack.config.DATABASE_URL as string;
    await migrateReadModels(databaseUrl);
    running = startProjectors({
      store: stack.store,
      databaseUrl,
      only,
      tuning: { lingerMs: 5, lockPollMs: 100, retryDelayMs: 50 },
    });
  });
  afterAll(() => running?.stop());
  return {
    projectors: () => {
      if (!running) throw new Error('projections not started yet');
      return running;
    },
  };
}
