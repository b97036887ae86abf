import { Client, Connection } from '@temporalio/client';
import { createEventStore } from '../../eventstore/index.js';
import { type Config, loadConfig } from '../../infra/config.js';
import { createPool } from '../../infra/db.js';
import { createLogger, type Logger } from '../../infra/logger.js';
import { temporalDataConverter } from '../../infra/temporal-data-converter.js';

/**
 * What the bench's own role processes (api-process.ts, starter-process.ts) need, configured from
 * the environment as `sms-agent api` is: the config, a logger, the app pool, the event store and
 * a Temporal client with the payload codec. `close` ends them in reverse order.
 */
export async function roleDepsFromEnv(role: string) {
  const config: Config = loadConfig(process.env, '/nonexistent');
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS)
    throw new Error('DATABASE_URL and TEMPORAL_ADDRESS are required');
  const databaseUrl = config.DATABASE_URL;
  const logger: Logger = createLogger({ level: config.LOG_LEVEL }).child({ role });
  const pool = createPool(databaseUrl, { applicationName: `sms-agent-${role}` });
  const store = createEventStore({ url: databaseUrl, logger });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: temporalDataConverter(config, logger),
  });
  return {
    config,
    databaseUrl,
    logger,
    pool,
    store,
    temporal,
    async close() {
      await connection.close();
      await store.close();
      await pool.end();
    },
  };
}
