import { migrateEventStore } from '../../eventstore/index.js';
import type { Config } from '../../infra/config.js';
import type { Logger } from '../../infra/logger.js';
import { migrateReadModels } from '../../projections/migrate.js';

/** The event store's tables (PostgreSQL adapter) and the read models' migrations; idempotent. */
export async function migrateAll(config: Config, databaseUrl: string, logger: Logger): Promise<void> {
  await migrateEventStore({ url: config.EVENTSTORE_URL ?? databaseUrl, logger });
  await migrateReadModels(databaseUrl, { logger });
}
