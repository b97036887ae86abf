import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Pool } from '../../infra/db.js';

declare module 'fastify' {
  interface FastifyInstance {
    pg: Pool;
  }
}

/** The read-model pool, owned by the caller (it is shared with the projector in `dev`). */
export default fp(
  async (app: FastifyInstance, options: { pool: Pool }) => {
    app.decorate('pg', options.pool);
    app.readiness.register('postgres', async () => {
      await options.pool.query('SELECT 1');
    });
  },
  { name: 'postgres', dependencies: ['readiness'] },
);
