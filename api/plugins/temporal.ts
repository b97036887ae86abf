import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    temporal: Client;
  }
}

export default fp(
  async (app: FastifyInstance, options: { client: Client }) => {
    app.decorate('temporal', options.client);
    app.readiness.register('temporal', async () => {
      await options.client.workflowService.getSystemInfo({});
    });
  },
  { name: 'temporal', dependencies: ['readiness'] },
);
