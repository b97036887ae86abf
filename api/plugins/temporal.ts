import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { singleAttemptClient } from '../../infra/temporal-single-attempt.js';

declare module 'fastify' {
  interface FastifyInstance {
    temporal: Client;
  }
}

/** Matches the readiness plugin's own limit per check: the probe's call ends by then. */
const PROBE_DEADLINE_MS = 2_000;

export default fp(
  async (app: FastifyInstance, options: { client: Client }) => {
    app.decorate('temporal', options.client);
    // One attempt with a deadline, on a channel of its own: on the client's, each probe during an
    // outage left the SDK retrying for some 20 s after /ready had answered
    // (infra/temporal-single-attempt.ts).
    const probe = singleAttemptClient(options.client);
    app.addHook('onClose', probe.close);
    // Not required: webhooks only append to the log, and the inbox starter catches up once
    // Temporal is back. Pulling every API replica out of a load balancer would lose SMS instead.
    app.readiness.register(
      'temporal',
      async () => {
        await probe.client.withDeadline(Date.now() + PROBE_DEADLINE_MS, () =>
          probe.client.workflowService.getSystemInfo({}),
        );
      },
      { required: false },
    );
  },
  { name: 'temporal', dependencies: ['readiness'] },
);
