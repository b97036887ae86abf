/**
 * The SMS inbox starter alone in a process (the API then runs with BENCH_INBOX=off): for
 * bench/ingest-starter.ts, which compares the webhook's latency with the starter inside the API
 * and outside it. Configured from the environment like the API.
 *
 *   (env as for `sms-agent api`) node --import tsx bench/support/starter-process.ts
 */
import { Client, Connection } from '@temporalio/client';
import { InboxStarter } from '../../api/inbox/starter.js';
import { createEventStore } from '../../eventstore/index.js';
import { loadConfig } from '../../infra/config.js';
import { createPool } from '../../infra/db.js';
import { createLogger } from '../../infra/logger.js';
import { temporalDataConverter } from '../../infra/temporal-data-converter.js';

const config = loadConfig(process.env, '/nonexistent');
if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) throw new Error('DATABASE_URL and TEMPORAL_ADDRESS are required');
const logger = createLogger({ level: config.LOG_LEVEL }).child({ role: 'inbox-starter' });
const pool = createPool(config.DATABASE_URL, { applicationName: 'sms-agent-inbox' });
const store = createEventStore({ url: config.DATABASE_URL, logger });
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const temporal = new Client({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  dataConverter: temporalDataConverter(config, logger),
});
const starter = new InboxStarter({
  store,
  pool,
  databaseUrl: config.DATABASE_URL,
  temporal,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  logger,
});
starter.start();
const stop = async () => {
  await starter.stop();
  await connection.close();
  await store.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
