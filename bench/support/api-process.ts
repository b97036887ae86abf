/**
 * The API role as `sms-agent api` runs it (cli/roles/api.ts), plus one empty route for the
 * benchmark's ceiling: POST /bench/empty parses the same form body and answers the same TwiML,
 * with no signature check and no append. Same process, same Fastify, same port.
 *
 *   (env as for `sms-agent api`) node --import tsx bench/support/api-process.ts
 */
import { buildApp } from '../../api/app.js';
import { roleDepsFromEnv } from './role-deps.js';

const { config, logger, pool, temporal, store, close } = await roleDepsFromEnv('api');
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
  await close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
