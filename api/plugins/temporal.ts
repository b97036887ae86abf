import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { singleAttemptClient } from '../../infra/temporal-single-attempt.js';
import { CHECK_TIMEOUT_MS } from './readiness.js';

declare module 'fastify' {
  interface FastifyInstance {
    temporal: Client;
  }
}

export default fp(
  async (app: FastifyInstance, options: { client: Client }) => {
    app.decorate('temporal', options.client);
    // One attempt, ending when the readiness check gives up on it, on a channel of its own: on the client's, each probe during an
    // outage left the SDK retrying for some 20 s after /ready had answered
    // (infra/temporal-single-attempt.ts).
    const probe = singleAttemptClient(options.client);
    app.addHook('onClose', probe.close);
    // Not required: webhooks only append to the log, and the inbox starter catches up once
    // Temporal is back. Pulling every API replica out of a load balancer would lose SMS instead.
    app.readiness.register(
      'temporal',
      async () => {
        await probe.client.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
          probe.client.workflowService.getSystemInfo({}),
        );
      },
      { required: false },
    );
  },
  { name: 'temporal', dependencies: ['readiness'] },
);
