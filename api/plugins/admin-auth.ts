import { createHash, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type Config, publicUrl } from '../../infra/config.js';
import { SESSION_COOKIE, type Session, touchSession } from '../auth/sessions.js';
import { findLiveToken } from '../auth/tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, set by requireRole / requireAdmin once the credential is checked. */
    actor?: Actor;
    /** The session behind the cookie, when that was the credential (logout and `me` need it). */
    authSession?: Session;
  }
  interface FastifyInstance {
    /** onRequest hook: requireRole(['admin']). */
    requireAdmin: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /**
     * onRequest hook for the given roles (before any body is parsed or validated, so a caller without
     * credentials learns nothing of the schema). Credentials, in this order: `Authorization: Bearer` with the
     * bootstrap ADMIN_API_TOKEN or an API token, else the session cookie. 401 without a valid one,
     * 403 for another role, and 403 for a cookie-authenticated change without the session's
     * X-CSRF-Token.
     */
    requireRole: (
      roles: readonly Role[],
      options?: RoleCheckOptions,
    ) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** Session settings the auth routes share with the checks. */
    authSettings: AdminAuthOptions & { idleMs: number; now: () => Date };
  }
}

export type Role = 'admin' | 'ops' | 'analyst';

export interface RoleCheckOptions {
  /**
   * false for a POST that changes nothing and answers only origins CORS allows (the Temporal
   * codec's decode): the Temporal UI sends the session cookie but cannot send our CSRF header.
   */
  csrf?: boolean;
}
export const ROLES: readonly Role[] = ['admin', 'ops', 'analyst'];

/** A checked caller; the same shape goes into the metadata of every event the API appends. */
export interface Actor {
  /** An account's email, a token's name, or "ADMIN_API_TOKEN". */
  name: string;
  role: Role;
  kind: 'session' | 'token' | 'bootstrap';
}

export interface AdminAuthOptions {
  /** ADMIN_API_TOKEN, the bootstrap admin credential. */
  token?: string;
  sessionIdleHours: number;
  /** Secure cookies (PUBLIC_URL is https). */
  secureCookies: boolean;
  /** Injected in tests; the session clock. */
  now?: () => Date;
}

export const adminAuthOptions = (config: Config): AdminAuthOptions => ({
  token: config.ADMIN_API_TOKEN,
  sessionIdleHours: config.SESSION_IDLE_HOURS,
  secureCookies: publicUrl(config).startsWith('https:'),
});

const BOOTSTRAP: Actor = { name: 'ADMIN_API_TOKEN', role: 'admin', kind: 'bootstrap' };
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

const unauthorized = (reply: FastifyReply, message: string) =>
  reply.status(401).send({ error: 'Unauthorized', message, statusCode: 401 });
const forbidden = (reply: FastifyReply, message: string) =>
  reply.status(403).send({ error: 'Forbidden', message, statusCode: 403 });

export default fp(
  async (app: FastifyInstance, options: AdminAuthOptions) => {
    await app.register(cookie);
    const settings = {
      ...options,
      idleMs: options.sessionIdleHours * 3_600_000,
      now: options.now ?? (() => new Date()),
    };
    app.decorate('authSettings', settings);
    app.decorateRequest('actor', undefined);
    app.decorateRequest('authSession', undefined);

    /** The caller's credential, checked; `null` when one was sent but is not valid. */
    async function authenticate(
      request: FastifyRequest,
    ): Promise<{ actor: Actor; session?: Session } | null | undefined> {
      const header = request.headers.authorization;
      if (header !== undefined) {
        const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
        if (!token) return null;
        if (options.token && sameSecret(token, options.token)) return { actor: BOOTSTRAP };
        const found = await findLiveToken(app.pg, token, settings.now());
        return found ? { actor: { name: found.name, role: found.role, kind: 'token' } } : null;
      }
      const cookieValue = request.cookies[SESSION_COOKIE];
      if (!cookieValue) return undefined;
      const session = await touchSession(app.pg, cookieValue, settings.now(), settings.idleMs);
      return session ? { actor: { name: session.email, role: session.role, kind: 'session' }, session } : null;
    }

    const requireRole =
      (roles: readonly Role[], check: RoleCheckOptions = {}) =>
      async (request: FastifyRequest, reply: FastifyReply) => {
        const found = await authenticate(request);
        if (!found) {
          return unauthorized(
            reply,
            found === null
              ? 'The credential is not valid (expired, revoked or signed out)'
              : 'Sign in or send a bearer token',
          );
        }
        if (!roles.includes(found.actor.role)) return forbidden(reply, `Requires role ${roles.join(' or ')}`);
        // Double submit bound to the session: a cross-site form can send the cookie but cannot read the token.
        if (found.session && check.csrf !== false && !SAFE_METHODS.has(request.method)) {
          const sent = request.headers['x-csrf-token'];
          if (typeof sent !== 'string' || !sameSecret(sent, found.session.csrfToken)) {
            return forbidden(reply, 'X-CSRF-Token missing or wrong (GET /api/auth/me gives it)');
          }
        }
        request.actor = found.actor;
        request.authSession = found.session;
      };
    app.decorate('requireRole', requireRole);
    app.decorate('requireAdmin', requireRole(['admin']));
  },
  { name: 'admin-auth', dependencies: ['postgres'] },
);
