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
    // Not required: webhooks only append to the log, and the inbox starter catches up once
    // Temporal is back. Pulling every API replica out of a load balancer would lose SMS instead.
    app.readiness.register(
      'temporal',
      async () => {
        await options.client.workflowService.getSystemInfo({});
      },
      { required: false },
    );
  },
  { name: 'temporal', dependencies: ['readiness'] },
);
