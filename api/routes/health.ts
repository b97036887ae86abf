import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { describeAi } from '../../activities/ai-client.js';
import { aiProvider, type Config, twilioConfigured } from '../../infra/config.js';
import { STAFF_SECURITY } from '../schemas/common.js';
import { LivenessResponse, ReadinessResponse } from '../schemas/health.js';

export interface HealthRoutesOptions {
  /** Which AI answers and which SMS provider sends, for the dashboard's Health page. */
  setup: { ai: { provider: 'demo' | 'openai' | 'compatible'; description: string }; sms: 'twilio' | 'simulator' };
}

export const healthRoutesOptions = (config: Config): HealthRoutesOptions => ({
  setup: {
    ai: { provider: aiProvider(config), description: describeAi(config) },
    sms: twilioConfigured(config) ? 'twilio' : 'simulator',
  },
});

const DetailedHealth = Type.Composite([
  ReadinessResponse,
  Type.Object({
    ai: Type.Object({
      provider: Type.Union([Type.Literal('demo'), Type.Literal('openai'), Type.Literal('compatible')]),
      description: Type.String(),
    }),
    sms: Type.Union([Type.Literal('twilio'), Type.Literal('simulator')]),
  }),
]);

/** The public probes: liveness, and readiness (its detail for operators only). */
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

/**
 * The same detail for a signed-in admin or ops person (the dashboard's Health page): /ready's
 * detail is for METRICS_TOKEN and loopback callers, and a browser session is neither.
 */
export const healthDetail: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, options) => {
  app.get(
    '/api/health',
    {
      onRequest: app.requireRole(['admin', 'ops']),
      schema: {
        summary:
          "Each dependency's readiness check in detail, and which AI and SMS provider are in use (admin and ops)",
        tags: ['health'],
        security: STAFF_SECURITY,
        response: { 200: DetailedHealth },
      },
    },
    async () => {
      const checks = await app.readiness.run();
      const down = Object.values(checks).filter((c) => c.status === 'down');
      const status = down.some((c) => c.required) ? 'not_ready' : down.length ? 'degraded' : 'ready';
      return { status, checks, ...options.setup } as const;
    },
  );
};

export default health;
