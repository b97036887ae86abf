import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../api/app.js';
import { createPool } from '../../infra/db.js';
import type { RoleContext, RunningRole } from './role.js';

export async function startApi(ctx: RoleContext): Promise<RunningRole & { url: string }> {
  const pool = createPool(ctx.databaseUrl, { applicationName: 'sms-agent-api' });
  const connection = await Connection.connect({ address: ctx.temporalAddress });
  const temporal = new Client({ connection, namespace: ctx.config.TEMPORAL_NAMESPACE });
  const app = await buildApp({ config: ctx.config, logger: ctx.logger.child({ role: 'api' }), pool, temporal });
  const address = await app.listen({ host: ctx.config.HOST, port: ctx.config.PORT });
  const url = address.replace('127.0.0.1', 'localhost');
  return {
    name: 'api',
    url,
    async stop() {
      await app.close();
      await connection.close();
      await pool.end();
    },
  };
}
