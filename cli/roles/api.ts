import { Client, Connection } from '@temporalio/client';
import { type AppDeps, buildApp } from '../../api/app.js';
import { TEMPORAL_RECONNECT_ARGS } from '../../api/inbox/start-task.js';
import { createEventStore } from '../../eventstore/index.js';
import { createPool, eventStoreTimeouts, pgTimeouts } from '../../infra/db.js';
import { temporalDataConverter } from '../../infra/temporal-data-converter.js';
import type { RoleContext, RunningRole } from './role.js';

/** How long a stopping API lets requests in flight finish (the webhook answers within about 8 s). */
export const API_DRAIN_MS = 20_000;

export async function startApi(
  ctx: RoleContext,
  extra: Pick<AppDeps, 'devSignIn'> = {},
): Promise<RunningRole & { url: string }> {
  const logger = ctx.logger.child({ role: 'api' });
  const dataConverter = temporalDataConverter(ctx.config, logger);
  const pool = createPool(ctx.databaseUrl, { applicationName: 'sms-agent-api', timeouts: pgTimeouts(ctx.config) });
  const store = createEventStore({
    url: ctx.config.EVENTSTORE_URL ?? ctx.databaseUrl,
    logger,
    timeouts: eventStoreTimeouts(ctx.config),
  });
  // Lazy: the API accepts SMS into the event log while Temporal is down (the inbox starter retries).
  const connection = Connection.lazy({ address: ctx.temporalAddress, channelArgs: TEMPORAL_RECONNECT_ARGS });
  const temporal = new Client({ connection, namespace: ctx.config.TEMPORAL_NAMESPACE, dataConverter });
  const app = await buildApp({ config: ctx.config, logger, pool, temporal, store, ...extra });
  const address = await app.listen({ host: ctx.config.HOST, port: ctx.config.PORT });
  const url = address.replace('127.0.0.1', 'localhost');
  return {
    name: 'api',
    url,
    async stop() {
      // app.close() closes the listener and the idle keep-alive connections once, then waits for
      // the rest; a connection busy at that moment turns idle after its answer and would wait out
      // the keep-alive timeout (72 s, past compose's stop grace). Close those as they go idle, and
      // every connection (an SSE stream, a stuck request) once the drain has had its time.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 200);
      const cutoff = setTimeout(() => app.server.closeAllConnections(), API_DRAIN_MS);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
        clearTimeout(cutoff);
      }
      await connection.close();
      await store.close();
      await pool.end();
    },
  };
}
