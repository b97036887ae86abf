import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, set by requireRole / requireAdmin once the credential is checked. */
    actor?: Actor;
  }
  interface FastifyInstance {
    /** preHandler: 401 without `Authorization: Bearer <ADMIN_API_TOKEN>`; 403 when no token is configured. */
    requireAdmin: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /**
     * preHandler for the given roles: 401 without a valid credential, 403 for another role. Today the
     * only credential is the bootstrap ADMIN_API_TOKEN (role admin); sessions and program tokens come
     * with the admin API and plug in here.
     */
    requireRole: (roles: readonly Role[]) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

export type Role = 'admin' | 'ops' | 'analyst';

/** A checked caller; the same shape goes into the metadata of every event the API appends. */
export interface Actor {
  /** An account's email, a token's name, or "ADMIN_API_TOKEN". */
  name: string;
  role: Role;
  kind: 'session' | 'token' | 'bootstrap';
}

const BOOTSTRAP: Actor = { name: 'ADMIN_API_TOKEN', role: 'admin', kind: 'bootstrap' };

const digest = (s: string) => createHash('sha256').update(s).digest();

export default fp(
  async (app: FastifyInstance, options: { token?: string }) => {
    const expected = options.token ? digest(options.token) : undefined;
    app.decorate('requireAdmin', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!expected) {
        return reply
          .status(403)
          .send({ error: 'Forbidden', message: 'Admin API disabled: set ADMIN_API_TOKEN', statusCode: 403 });
      }
      const header = request.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      // Compare digests: equal length, constant time, whatever the caller sent.
      if (!token || !timingSafeEqual(digest(token), expected)) {
        return reply.status(401).send({ error: 'Unauthorized', message: 'Bearer token required', statusCode: 401 });
      }
      request.actor = BOOTSTRAP;
    });

    const actorOf = (request: FastifyRequest): Actor | undefined => {
      const header = request.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      return expected && token && timingSafeEqual(digest(token), expected) ? BOOTSTRAP : undefined;
    };
    app.decorate('requireRole', (roles: readonly Role[]) => async (request: FastifyRequest, reply: FastifyReply) => {
      const actor = actorOf(request);
      const role = actor?.role;
      if (!role) {
        return reply.status(401).send({ error: 'Unauthorized', message: 'Bearer token required', statusCode: 401 });
      }
      if (!roles.includes(role)) {
        return reply
          .status(403)
          .send({ error: 'Forbidden', message: `Requires role ${roles.join(' or ')}`, statusCode: 403 });
      }
      request.actor = actor;
    });
  },
  { name: 'admin-auth' },
);
