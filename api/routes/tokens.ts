import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { ChangeContext } from '../auth/audit.js';
import { createToken, listTokens, revokeToken } from '../auth/tokens.js';
import { NotFoundError } from '../plugins/error-handler.js';
import { CreatedToken, CreateTokenBody, ErrorResponse, TokenList, TokenParams } from '../schemas/auth.js';

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
    { preHandler: admin, schema: { body: CreateTokenBody, response: { 201: CreatedToken, ...denied } } },
    async (request, reply) => {
      const created = await createToken(app.pg, app.eventStore, request.body, changeBy(request));
      return reply.status(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.get('/api/tokens', { preHandler: admin, schema: { response: { 200: TokenList, ...denied } } }, async () => ({
    items: await listTokens(app.pg),
  }));

  app.delete(
    '/api/tokens/:id',
    {
      preHandler: admin,
      schema: { params: TokenParams, response: { 204: Type.Null(), 404: ErrorResponse, ...denied } },
    },
    async (request, reply) => {
      const token = await revokeToken(app.pg, app.eventStore, request.params.id, changeBy(request));
      if (!token) throw new NotFoundError(`no token ${request.params.id}`);
      return reply.status(204).send(null);
    },
  );
};

export default tokens;
