import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../infra/logger.js';
import { assertSchemaName, READ_MODEL_SCHEMA } from './shared/sql.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Brings the read-model schema (created if missing) up to the latest migration; returns the names
 * of the migrations it ran. Each schema keeps its own `pgmigrations` table, so a rebuild's fresh
 * schema is migrated the same way and carries its history when it is swapped in.
 */
export async function migrateReadModels(
  databaseUrl: string,
  options: { schema?: string; logger?: Logger } = {},
): Promise<string[]> {
  const schema = assertSchemaName(options.schema ?? READ_MODEL_SCHEMA);
  const log = options.logger;
  const ran = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    schema,
    createSchema: true,
    migrationsSchema: schema,
    migrationsTable: 'pgmigrations',
    singleTransaction: true,
    checkOrder: true,
    // Another process (the app's other migrations, a second instance) may hold the shared lock.
    advisoryLockMode: 'wait',
    logger: {
      debug: (m: string) => log?.debug(m),
      info: (m: string) => log?.debug(m),
      warn: (m: string) => log?.warn(m),
      error: (m: string) => log?.error(m),
    },
  });
  if (ran.length > 0) log?.info({ schema, migrations: ran.map((m) => m.name) }, 'read-model migrations applied');
  return ran.map((m) => m.name);
}
