import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../infra/config.js';
import type { Pool } from '../infra/db.js';
import type { Logger } from '../infra/logger.js';
import errorHandler from './plugins/error-handler.js';
import postgres from './plugins/postgres.js';
import readiness from './plugins/readiness.js';
import temporal from './plugins/temporal.js';
import health from './routes/health.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  pool: Pool;
  temporal: Client;
}

/** Plugins first (external services, then app services), then routes. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: true,
    bodyLimit: 64 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(errorHandler);
  await app.register(readiness);
  await app.register(postgres, { pool: deps.pool });
  await app.register(temporal, { client: deps.temporal });

  await app.register(health);
  return app as unknown as FastifyInstance;
}
