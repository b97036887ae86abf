import { migrateAuth } from '../../api/auth/migrate.js';
import { migrateInbox } from '../../api/inbox/checkpoint.js';
import { SMS_INBOX } from '../../api/inbox/starter.js';
import { createEventStore, migrateEventStore } from '../../eventstore/index.js';
import type { Config } from '../../infra/config.js';
import type { Logger } from '../../infra/logger.js';
import { migrateReadModels } from '../../projections/migrate.js';

/** The event store's tables (PostgreSQL adapter), the inbox checkpoint, the read models' and the accounts' migrations; idempotent. */
export async function migrateAll(config: Config, databaseUrl: string, logger: Logger): Promise<void> {
  await migrateEventStore({ url: config.EVENTSTORE_URL ?? databaseUrl, logger });
  // A new inbox starts at the log's head: the SMS before it were started by the webhook itself.
  const store = createEventStore({ url: config.EVENTSTORE_URL ?? databaseUrl, logger });
  const head = await store.headCheckpoint().finally(() => store.close());
  await migrateInbox(databaseUrl, head ? { [SMS_INBOX]: head } : {});
  await migrateReadModels(databaseUrl, { logger });
  await migrateAuth(databaseUrl, { logger });
}
