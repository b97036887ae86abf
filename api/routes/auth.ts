import { randomBytes } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Config } from '../../infra/config.js';
import { normaliseEmail } from '../auth/accounts.js';
import { TooManyRequestsError } from '../auth/errors.js';
import { admitAttempt, clearFailures, type FailurePolicy } from '../auth/login-failures.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { closeSession, openSession, SESSION_COOKIE } from '../auth/sessions.js';
import { ROLES } from '../plugins/admin-auth.js';
import { ErrorResponse, LoginBody, MeResponse } from '../schemas/auth.js';
import { STAFF_SECURITY } from '../schemas/common.js';

export interface AuthRoutesOptions {
  /** Login attempts per client IP per minute. */
  perIpPerMinute: number;
  failures: FailurePolicy;
}

export const authRoutesOptions = (config: Config): AuthRoutesOptions => ({
  perIpPerMinute: config.LOGIN_RATE_LIMIT_PER_MINUTE,
  failures: { maxFailures: config.LOGIN_MAX_FAILURES, windowMs: config.LOGIN_FAILURE_WINDOW_MINUTES * 60_000 },
});

const WRONG = { error: 'Unauthorized', message: 'Wrong email or password', statusCode: 401 } as const;

/** Sign in and out with an account; `me` tells the dashboard who it is and its CSRF token. */
const auth: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, options) => {
  // Registered here, so the limit covers these routes only (global: false: opted in per route).
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new TooManyRequestsError(`Too many login attempts; try again in ${context.after}`),
  });
  // Unknown emails are checked against this, so they cost the same scrypt time as a wrong password.
  let dummyHash: Promise<string> | undefined;
  const dummy = () => {
    dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    return dummyHash;
  };
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: app.authSettings.secureCookies,
  } as const;

  app.post(
    '/api/auth/login',
    {
      config: { rateLimit: { max: options.perIpPerMinute, timeWindow: 60_000 } },
      // JSON only: a cross-site HTML form (urlencoded, no preflight) must not sign a browser in.
      preValidation: async (request, reply) => {
        if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
          return reply
            .status(415)
            .send({ error: 'Unsupported Media Type', message: 'Send the login as application/json', statusCode: 415 });
        }
      },
      schema: {
        summary: 'Sign in: sets the session cookie and answers who you are with the CSRF token',
        tags: ['auth'],
        security: [],
        body: LoginBody,
        response: { 200: MeResponse, 400: ErrorResponse, 401: ErrorResponse, 415: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      const email = normaliseEmail(request.body.email);
      const now = app.authSettings.now();
      if (!(await admitAttempt(app.pg, email, now, options.failures))) {
        throw new TooManyRequestsError('Too many failed logins for this account; try again later');
      }
      const { rows } = await app.pg.query(
        'SELECT id, role, password_hash, disabled_at FROM admin.accounts WHERE email = $1',
        [email],
      );
      const account = rows[0];
      const matches = await verifyPassword(request.body.password, account?.password_hash ?? (await dummy()));
      if (!account || !matches || account.disabled_at) {
        request.log.info({ reason: 'wrong credentials' }, 'login refused');
        return reply.status(401).send(WRONG);
      }
      await clearFailures(app.pg, email);
      const session = await openSession(app.pg, account.id, now, app.authSettings.idleMs);
      reply.setCookie(SESSION_COOKIE, session.cookieValue, cookieOptions);
      return { name: email, email, role: account.role, kind: 'session' as const, csrfToken: session.csrfToken };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      onRequest: app.requireRole(ROLES),
      schema: {
        summary: 'Sign out: ends the session at once and clears the cookie (X-CSRF-Token required)',
        tags: ['auth'],
        security: STAFF_SECURITY,
        response: { 204: Type.Null(), 401: ErrorResponse },
      },
    },
    async (request, reply) => {
      if (request.authSession) await closeSession(app.pg, request.authSession.idHash);
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/auth/me',
    {
      onRequest: app.requireRole(ROLES),
      schema: {
        summary: 'Who is calling; a session also gets its CSRF token',
        tags: ['auth'],
        security: STAFF_SECURITY,
        response: { 200: MeResponse, 401: ErrorResponse },
      },
    },
    async (request) => {
      const actor = request.actor as NonNullable<typeof request.actor>;
      const session = request.authSession;
      return session
        ? { ...actor, email: session.email, csrfToken: session.csrfToken }
        : { name: actor.name, role: actor.role, kind: actor.kind };
    },
  );
};

export default auth;
