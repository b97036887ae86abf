import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
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
};

export default health;
