import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../../infra/logger.js';

/** Accounts, sessions and API tokens: not read models, so a rebuild never touches them. */
export const AUTH_SCHEMA = 'admin';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/** Brings the `admin` schema (created if missing) up to date; idempotent. Returns the migrations it ran. */
export async function migrateAuth(databaseUrl: string, options: { logger?: Logger } = {}): Promise<string[]> {
  const log = options.logger;
  const ran = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    schema: AUTH_SCHEMA,
    createSchema: true,
    migrationsSchema: AUTH_SCHEMA,
    migrationsTable: 'pgmigrations',
    singleTransaction: true,
    checkOrder: true,
    // The read models' migrations may hold node-pg-migrate's advisory lock at the same moment.
    advisoryLockMode: 'wait',
    logger: {
      debug: (m: string) => log?.debug(m),
      info: (m: string) => log?.debug(m),
      warn: (m: string) => log?.warn(m),
      error: (m: string) => log?.error(m),
    },
  });
  if (ran.length > 0) log?.info({ migrations: ran.map((m) => m.name) }, 'auth migrations applied');
  return ran.map((m) => m.name);
}
