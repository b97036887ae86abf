import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../api/app.js';
import { DEV_ADMIN_EMAIL, DEV_LINK_PATH, newDevLinkToken } from '../../../api/routes/dev-link.js';
import type { Config } from '../../../infra/config.js';
import { createLogger } from '../../../infra/logger.js';
import { useSmsStack } from '../../support/sms-stack.js';
import { call } from './helpers.js';

const link = (token: string) => `${DEV_LINK_PATH}?token=${encodeURIComponent(token)}`;

/** Follows nothing: the answer of the link itself. */
async function open(stack: { apiUrl: string }, token: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.apiUrl}${link(token)}`, { redirect: 'manual', headers });
  const setCookie = response.headers.getSetCookie()[0] ?? '';
  return { response, setCookie, cookie: setCookie.split(';')[0] ?? '' };
}

describe('the sign-in link of sms-agent dev', () => {
  const stack = useSmsStack();

  it('signs a local admin in once: a cookie session /api/auth/me accepts, which may use the simulator', async () => {
    const first = await open(stack, stack.devSignInToken);
    expect(first.response.status).toBe(302);
    expect(first.response.headers.get('location')).toBe('/');
    expect(first.setCookie).toMatch(/^sms_agent_session=[^;]+;.*HttpOnly.*SameSite=Strict/i);

    const me = await call(stack, 'GET', '/api/auth/me', { cookie: first.cookie });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name: DEV_ADMIN_EMAIL, email: DEV_ADMIN_EMAIL, role: 'admin', kind: 'session' });
    const csrf = me.body?.csrfToken as string;

    const sms = { from: '+14155550190', body: 'hello from the simulator' };
    expect((await call(stack, 'POST', '/api/simulator/sms', { cookie: first.cookie, body: sms })).status).toBe(403);
    const simulated = await call(stack, 'POST', '/api/simulator/sms', { cookie: first.cookie, csrf, body: sms });
    expect(simulated.status).toBe(202);

    // Once: the same link again opens nothing, unless the browser it signed in opens it (then: the dashboard).
    const again = await open(stack, stack.devSignInToken);
    expect(again.response.status).toBe(401);
    expect(again.setCookie).toBe('');
    expect(((await again.response.json()) as { message: string }).message).toMatch(/used already/);
    const sameBrowser = await open(stack, stack.devSignInToken, { cookie: first.cookie });
    expect(sameBrowser.response.status).toBe(302);
    expect(sameBrowser.setCookie).toBe('');

    // The account was made once, through the audited path, with the run as its actor.
    const { rows } = await stack.pool.query('SELECT role FROM admin.accounts WHERE email = $1', [DEV_ADMIN_EMAIL]);
    expect(rows).toEqual([{ role: 'admin' }]);
  });

  it('refuses a wrong or missing token with 401 and sets no cookie', async () => {
    // Listed in the OpenAPI document, so the access-matrix test checks it too.
    const doc = (await stack.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: object };
    expect(Object.keys(doc.paths)).toContain(DEV_LINK_PATH);
    for (const url of [link(newDevLinkToken()), link(''), DEV_LINK_PATH, `${DEV_LINK_PATH}?token=a&token=b`]) {
      const response = await fetch(`${stack.apiUrl}${url}`, { redirect: 'manual' });
      expect(response.status, url).toBe(401);
      expect(response.headers.getSetCookie(), url).toEqual([]);
    }
  });

  it('refuses a caller from another host by its socket address, whatever X-Forwarded-For says', async () => {
    const token = newDevLinkToken();
    const app = await buildApp({
      config: stack.config,
      logger: createLogger({ level: 'silent' }),
      pool: stack.pool,
      temporal: stack.client,
      store: stack.store,
      inbox: { enabled: false },
      devSignIn: { token },
    });
    try {
      const remote = await app.inject({
        method: 'GET',
        url: link(token),
        remoteAddress: '203.0.113.7',
        headers: { 'x-forwarded-for': '127.0.0.1' },
      });
      expect(remote.statusCode).toBe(403);
      expect(remote.headers['set-cookie']).toBeUndefined();
      // The refusal did not use the token up: from this machine it still works.
      const local = await app.inject({ method: 'GET', url: link(token), remoteAddress: '127.0.0.1' });
      expect(local.statusCode).toBe(302);
    } finally {
      await app.close();
    }
  });

  it('keeps the token out of the logs', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const token = newDevLinkToken();
    const app = await buildApp({
      config: stack.config,
      logger: createLogger({ level: 'info', destination }),
      pool: stack.pool,
      temporal: stack.client,
      store: stack.store,
      inbox: { enabled: false },
      devSignIn: { token },
    });
    try {
      expect((await app.inject({ method: 'GET', url: link(token) })).statusCode).toBe(302);
      expect((await app.inject({ method: 'GET', url: link(token) })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
    const out = lines.join('');
    expect(out).toContain('signed in with the dev sign-in link');
    expect(out).toContain('/health'); // request logging is on, just not for the link
    expect(out).not.toContain(token);
  });

  it('is never mounted in production', async () => {
    const token = newDevLinkToken();
    const config: Config = { ...stack.config, NODE_ENV: 'production' };
    const app = await buildApp({
      config,
      logger: createLogger({ level: 'silent' }),
      pool: stack.pool,
      temporal: stack.client,
      store: stack.store,
      inbox: { enabled: false },
      devSignIn: { token },
    });
    try {
      expect((await app.inject({ method: 'GET', url: link(token) })).statusCode).toBe(404);
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: object };
      expect(Object.keys(doc.paths)).not.toContain(DEV_LINK_PATH);
      expect(Object.keys(doc.paths)).toContain('/api/auth/login');
    } finally {
      await app.close();
    }
  });
});
