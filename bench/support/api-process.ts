/**
 * The API role as `sms-agent api` runs it (cli/roles/api.ts), plus one empty route for the
 * benchmark's ceiling: POST /bench/empty parses the same form body and answers the same TwiML,
 * with no signature check and no append. Same process, same Fastify, same port.
 *
 *   (env as for `sms-agent api`) node --import tsx bench/support/api-process.ts
 */
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../api/app.js';
import { createEventStore } from '../../eventstore/index.js';
import { loadConfig } from '../../infra/config.js';
import { createPool } from '../../infra/db.js';
import { createLogger } from '../../infra/logger.js';
import { temporalDataConverter } from '../../infra/temporal-data-converter.js';

const config = loadConfig(process.env, '/nonexistent');
if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) throw new Error('DATABASE_URL and TEMPORAL_ADDRESS are required');
const logger = createLogger({ level: config.LOG_LEVEL }).child({ role: 'api' });
const pool = createPool(config.DATABASE_URL, { applicationName: 'sms-agent-api' });
const store = createEventStore({ url: config.DATABASE_URL, logger });
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const temporal = new Client({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  dataConverter: temporalDataConverter(config, logger),
});
// BENCH_INBOX=off: the inbox starter does not run (the benchmark's webhook-alone measurement).
const app = await buildApp({
  config,
  logger,
  pool,
  temporal,
  store,
  inbox: { enabled: process.env.BENCH_INBOX !== 'off' },
});
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
app.post('/bench/empty', async (_request, reply) => reply.type('text/xml').send(EMPTY_TWIML));
await app.listen({ host: config.HOST, port: config.PORT });

const stop = async () => {
  await app.close();
  await connection.close();
  await store.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
