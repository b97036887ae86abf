import { Client, Connection } from '@temporalio/client';
import { type AppDeps, buildApp } from '../../api/app.js';
import { TEMPORAL_RECONNECT_ARGS } from '../../api/inbox/start-task.js';
import { createEventStore } from '../../eventstore/index.js';
import { createPool, eventStoreTimeouts, pgTimeouts } from '../../infra/db.js';
import { temporalDataConverter } from '../../infra/temporal-data-converter.js';
import type { RoleContext, RunningRole } from './role.js';

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
      await app.close();
      await connection.close();
      await store.close();
      await pool.end();
    },
  };
}
