import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorResponse } from '../schemas/common.js';

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
            'No credential: 401; wrong role: 403. Errors are `{error, message, statusCode}`.',
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

    // A route that says it needs credentials also answers 401 and 403: the document says so for
    // every such route, including ones that declared only their success.
    const ref = { $ref: 'ErrorResponse#' };
    app.addHook('onRoute', (route) => {
      const schema = route.schema as { security?: unknown[]; response?: Record<string, unknown> } | undefined;
      if (!schema?.security || schema.security.length === 0) return;
      schema.response ??= {};
      for (const code of ['401', '403']) {
        if (!(code in schema.response) && !(Number(code) in schema.response)) schema.response[code] = ref;
      }
    });
  },
  { name: 'openapi' },
);
