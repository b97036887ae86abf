import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createAccount } from '../auth/accounts.js';
import { openSession, SESSION_COOKIE, touchSession } from '../auth/sessions.js';
import type { Actor } from '../plugins/admin-auth.js';
import { ErrorResponse } from '../schemas/auth.js';

export const DEV_LINK_PATH = '/api/auth/dev-link';
/** The local admin the link signs in; its password is random and never shown, so only the link opens it. */
export const DEV_ADMIN_EMAIL = 'admin@localhost';

export interface DevLinkOptions {
  /** The run's secret, made by `sms-agent dev`; it lives only in this process's memory. */
  token: string;
  /** Where the browser goes once signed in (the dashboard). */
  redirectTo?: string;
}

export const newDevLinkToken = () => randomBytes(32).toString('base64url');
export const devLinkUrl = (apiUrl: string, token: string) => `${apiUrl}${DEV_LINK_PATH}?token=${token}`;

const DEV_ACTOR: Actor = { name: 'sms-agent dev', role: 'admin', kind: 'bootstrap' };
const digest = (s: string) => createHash('sha256').update(s).digest();

/** The socket's peer, not X-Forwarded-For (the app trusts it for other purposes, and anyone can write it). */
const fromLoopback = (request: FastifyRequest) => {
  const peer = request.raw.socket?.remoteAddress ?? '';
  return peer === '::1' || peer.startsWith('127.') || peer.startsWith('::ffff:127.');
};

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
type Level = (typeof LEVELS)[number];
const quieterOf = (current: string, wanted: Level): Level =>
  LEVELS.indexOf(current as Level) > LEVELS.indexOf(wanted) ? (current as Level) : wanted;

const refuse = (reply: FastifyReply, statusCode: 401 | 403, message: string) =>
  reply.status(statusCode).send({ error: statusCode === 401 ? 'Unauthorized' : 'Forbidden', message, statusCode });

/**
 * `npm run dev`'s sign-in link: a newcomer with nothing configured opens the dashboard as a local
 * admin. Mounted only by `sms-agent dev` and never in production (api/app.ts); loopback callers
 * only. The token works ONCE: a link in terminal scrollback or shell history opens nothing later.
 * Opened again from the browser it signed in, it just goes to the dashboard.
 */
const devLink: FastifyPluginAsyncTypebox<DevLinkOptions> = async (app, options) => {
  const expected = digest(options.token);
  let used = false;
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: app.authSettings.secureCookies,
  } as const;
  const redirectTo = options.redirectTo ?? '/';

  app.get(
    DEV_LINK_PATH,
    {
      // The URL carries the token: no request logs (info) for this route, and never louder than the app.
      logLevel: quieterOf(app.log.level, 'warn'),
      // Checked before the query is validated, as every guarded route is: no credential, 401.
      onRequest: async (request, reply) => {
        if (!fromLoopback(request)) return refuse(reply, 403, 'The sign-in link works only from this machine');
        const token = (request.query as { token?: unknown }).token;
        if (typeof token !== 'string' || !timingSafeEqual(digest(token), expected)) {
          return refuse(reply, 401, 'This sign-in link is not valid (a new one is printed on each `npm run dev`)');
        }
        if (used) {
          const cookie = request.cookies[SESSION_COOKIE];
          const now = app.authSettings.now();
          if (cookie && (await touchSession(app.pg, cookie, now, app.authSettings.idleMs))) {
            return reply.redirect(redirectTo);
          }
          return refuse(reply, 401, 'This sign-in link was used already; restart `npm run dev` for a new one');
        }
        // Taken before any await below, so two requests at once cannot both use it.
        used = true;
      },
      schema: {
        summary: 'Sign in as the local admin with the link `sms-agent dev` prints (dev only, this machine only, once)',
        tags: ['auth'],
        security: [],
        querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 401: ErrorResponse, 403: ErrorResponse },
      },
    },
    async (request, reply) => {
      const now = app.authSettings.now();
      const found = await app.pg.query('SELECT id, disabled_at FROM admin.accounts WHERE email = $1', [
        DEV_ADMIN_EMAIL,
      ]);
      let account = found.rows[0] as { id: string; disabled_at: Date | null } | undefined;
      if (account?.disabled_at) return refuse(reply, 403, `The account ${DEV_ADMIN_EMAIL} is disabled`);
      if (!account) {
        const created = await createAccount(
          app.pg,
          app.eventStore,
          { email: DEV_ADMIN_EMAIL, role: 'admin', password: randomBytes(32).toString('base64url') },
          { actor: DEV_ACTOR, reason: 'sign-in link of sms-agent dev', correlationId: request.id, now },
        );
        account = { id: created.id, disabled_at: null };
      }
      const session = await openSession(app.pg, account.id, now, app.authSettings.idleMs);
      reply.setCookie(SESSION_COOKIE, session.cookieValue, cookieOptions);
      request.log.warn({ account: DEV_ADMIN_EMAIL }, 'signed in with the dev sign-in link');
      return reply.redirect(redirectTo);
    },
  );
};

export default devLink;
