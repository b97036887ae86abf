import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorResponse, STAFF_SECURITY } from '../schemas/common.js';

/** The /api routes anyone may call. */
const PUBLIC_API_ROUTES = new Set(['/api/auth/login']);

/** The session cookie's name (api/auth/sessions.ts), as the OpenAPI document announces it. */
const SESSION_COOKIE_NAME = 'sms_agent_session';

/**
 * The OpenAPI 3 document, generated from the route schemas (so it must be registered before the
 * routes): `GET /openapi.json` and interactive documentation at `GET /docs`. Both are public: they
 * describe the API and hold no data.
 */
export default fp(
  async (app: FastifyInstance, options: { version?: string } = {}) => {
    app.addSchema(ErrorResponse);
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'sms-agent API',
          version: options.version ?? '0.1.0',
          description:
            'Admin API of the SMS-to-AI agent. Roles: admin (everything), ops (read, retry, resolve, opt-out/in), ' +
            'analyst (read and export; message texts withheld and phone numbers masked). ' +
            'No credential: 401; wrong role: 403. Errors are `{error, code, message, statusCode}`, `code` a stable machine-readable name.',
        },
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token, or ADMIN_API_TOKEN' },
            cookieAuth: {
              type: 'apiKey',
              in: 'cookie',
              name: SESSION_COOKIE_NAME,
              description: 'POST /api/auth/login',
            },
          },
        },
      },
      // Shared schemas keep their $id as their name in components.schemas.
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) || `def-${i}` },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

    // Every /api route but login needs a credential (requireRole): the document says so, with the
    // 401 and 403 answers, even for a route whose schema does not.
    const ref = { $ref: 'ErrorResponse#' };
    app.addHook('onRoute', (route) => {
      if (!route.url.startsWith('/api/') || PUBLIC_API_ROUTES.has(route.url)) return;
      if ([route.method].flat().includes('OPTIONS')) return; // CORS preflights carry no credential
      route.schema ??= {};
      const schema = route.schema as { security?: unknown[]; response?: Record<string, unknown> };
      schema.security ??= STAFF_SECURITY;
      schema.response ??= {};
      for (const code of ['401', '403']) {
        if (!(code in schema.response)) schema.response[code] = ref;
      }
    });
  },
  { name: 'openapi' },
);
