import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** Whether the caller may read operational detail: METRICS_TOKEN as a bearer token, or a loopback peer. */
    isOperator: (request: FastifyRequest) => boolean;
    /** onRequest hook: 401 unless isOperator. */
    operatorOnly: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `/metrics` and the detail of `/ready` name dependencies, errors and volumes: for the scraper and
 * the operator, not the internet. The peer address is the socket's, not X-Forwarded-For (which the
 * app trusts for other purposes and anyone can write); behind a proxy on another host, set the token.
 */
export default fp(
  async (app: FastifyInstance, options: { token?: string }) => {
    const expected = options.token ? digest(options.token) : undefined;
    const isOperator = (request: FastifyRequest) => {
      const header = request.headers.authorization ?? '';
      if (expected && header.startsWith('Bearer ') && timingSafeEqual(digest(header.slice(7)), expected)) return true;
      const peer = request.raw.socket?.remoteAddress ?? '';
      return peer === '::1' || peer.startsWith('127.') || peer.startsWith('::ffff:127.');
    };
    app.decorate('isOperator', isOperator);
    app.decorate('operatorOnly', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!isOperator(request)) {
        return reply.status(401).send({
          error: 'Unauthorized',
          message: 'METRICS_TOKEN as a bearer token required (or call from this host)',
          statusCode: 401,
        });
      }
    });
  },
  { name: 'operator-access' },
);
