/**
 * The SMS inbox starter alone in a process (the API then runs with BENCH_INBOX=off): for
 * bench/ingest-starter.ts, which compares the webhook's latency with the starter inside the API
 * and outside it. Configured from the environment like the API.
 *
 *   (env as for `sms-agent api`) node --import tsx bench/support/starter-process.ts
 */
import { InboxStarter } from '../../api/inbox/starter.js';
import { roleDepsFromEnv } from './role-deps.js';

const { config, databaseUrl, logger, pool, store, temporal, close } = await roleDepsFromEnv('inbox');
const starter = new InboxStarter({
  store,
  pool,
  databaseUrl,
  temporal,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  logger,
});
starter.start();
const stop = async () => {
  await starter.stop();
  await close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
