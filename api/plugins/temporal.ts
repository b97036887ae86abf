import { type Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    temporal: Client;
  }
}

/** Matches the readiness plugin's own limit per check: the probe's call ends by then. */
const PROBE_DEADLINE_MS = 2_000;

/**
 * The readiness probe's call to Temporal: one attempt on a channel of its own. On the client's
 * channel the SDK retries an unreachable server up to 10 times over about 20 s, after /ready has
 * answered: every probe during an outage left such a chain running, and closing the connection
 * while one waited to retry threw "Channel has been shut down" from its timer (an uncaught
 * exception at shutdown). No retries here, and a deadline, so nothing outlives the probe.
 */
function probeFor(client: Client): { probe: () => Promise<unknown>; close: () => Promise<void> } {
  const shared = client.connection;
  if (!(shared instanceof Connection)) {
    return { probe: () => client.workflowService.getSystemInfo({}), close: async () => {} };
  }
  const { interceptors: _retrying, ...options } = shared.options;
  const own = Connection.lazy({ ...options, interceptors: [] });
  return {
    probe: () => own.withDeadline(Date.now() + PROBE_DEADLINE_MS, () => own.workflowService.getSystemInfo({})),
    close: () => own.close(),
  };
}

export default fp(
  async (app: FastifyInstance, options: { client: Client }) => {
    app.decorate('temporal', options.client);
    const { probe, close } = probeFor(options.client);
    app.addHook('onClose', close);
    // Not required: webhooks only append to the log, and the inbox starter catches up once
    // Temporal is back. Pulling every API replica out of a load balancer would lose SMS instead.
    app.readiness.register(
      'temporal',
      async () => {
        await probe();
      },
      { required: false },
    );
  },
  { name: 'temporal', dependencies: ['readiness'] },
);
