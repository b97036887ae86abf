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
    async (_req, reply) => {
      const checks = await app.readiness.run();
      const ready = Object.values(checks).every((c) => c.status === 'up');
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );
};

export default health;
