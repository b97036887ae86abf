import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { ChangeContext } from '../auth/audit.js';
import { createToken, listTokens, revokeToken } from '../auth/tokens.js';
import { NotFoundError } from '../plugins/error-handler.js';
import { CreatedToken, CreateTokenBody, ErrorResponse, TokenList, TokenParams } from '../schemas/auth.js';
import { STAFF_SECURITY } from '../schemas/common.js';

const changeBy = (request: FastifyRequest): ChangeContext => ({
  actor: request.actor as NonNullable<FastifyRequest['actor']>,
  correlationId: request.id,
  now: new Date(),
});

const denied = { 401: ErrorResponse, 403: ErrorResponse };

/** API tokens for programs (admin only): the secret is shown once; only its SHA-256 is kept. */
const tokens: FastifyPluginAsyncTypebox = async (app) => {
  const admin = app.requireRole(['admin']);

  app.post(
    '/api/tokens',
    {
      onRequest: admin,
      schema: {
        summary: 'Create an API token; the answer is the only time the token is shown',
        tags: ['tokens'],
        security: STAFF_SECURITY,
        body: CreateTokenBody,
        response: { 201: CreatedToken, 400: ErrorResponse, ...denied },
      },
    },
    async (request, reply) => {
      const created = await createToken(app.pg, app.eventStore, request.body, changeBy(request));
      return reply.status(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.get(
    '/api/tokens',
    {
      onRequest: admin,
      schema: {
        summary: 'Every API token, without secrets: role, created, expires, last used, revoked',
        tags: ['tokens'],
        security: STAFF_SECURITY,
        response: { 200: TokenList, ...denied },
      },
    },
    async () => ({ items: await listTokens(app.pg) }),
  );

  app.delete(
    '/api/tokens/:id',
    {
      onRequest: admin,
      schema: {
        summary: 'Revoke an API token, at once',
        tags: ['tokens'],
        security: STAFF_SECURITY,
        params: TokenParams,
        response: { 204: Type.Null(), 400: ErrorResponse, 404: ErrorResponse, ...denied },
      },
    },
    async (request, reply) => {
      const token = await revokeToken(app.pg, app.eventStore, request.params.id, changeBy(request));
      if (!token) throw new NotFoundError(`no token ${request.params.id}`);
      return reply.status(204).send(null);
    },
  );
};

export default tokens;
