import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { STAFF_SECURITY } from '../schemas/common.js';
import { LivenessResponse, ReadinessResponse } from '../schemas/health.js';

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { schema: { response: { 200: LivenessResponse } } }, async () => ({
    status: 'ok' as const,
    uptimeSeconds: Math.round(process.uptime()),
  }));

  app.get(
    '/ready',
    { schema: { response: { 200: ReadinessResponse, 503: ReadinessResponse } } },
    async (request, reply) => {
      const checks = await app.readiness.run();
      const down = Object.values(checks).filter((c) => c.status === 'down');
      // The status code (and word) stay public for load balancers; which dependency failed, and how, does not.
      const detail = app.isOperator(request) ? { checks } : {};
      if (down.some((c) => c.required)) return reply.status(503).send({ status: 'not_ready', ...detail });
      return reply.status(200).send({ status: down.length ? 'degraded' : 'ready', ...detail });
    },
  );

  // The same detail for a signed-in admin or ops person (the dashboard's Health page): /ready's
  // detail is for METRICS_TOKEN and loopback callers, and a browser session is neither.
  app.get(
    '/api/health',
    {
      onRequest: app.requireRole(['admin', 'ops']),
      schema: {
        summary: "Each dependency's readiness check, in detail (admin and ops)",
        tags: ['health'],
        security: STAFF_SECURITY,
        response: { 200: ReadinessResponse },
      },
    },
    async () => {
      const checks = await app.readiness.run();
      const down = Object.values(checks).filter((c) => c.status === 'down');
      const status = down.some((c) => c.required) ? 'not_ready' : down.length ? 'degraded' : 'ready';
      return { status, checks } as const;
    },
  );
};

export default health;
