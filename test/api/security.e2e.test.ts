import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { ConflictError } from '../../api/plugins/error-handler.js';
import { inlineScriptHashes } from '../../api/plugins/security.js';
import { StoreUnavailableError } from '../../eventstore/port.js';
import { createLogger } from '../../infra/logger.js';
import { migrateReadModels } from '../../projections/migrate.js';
import { useSmsStack } from '../support/sms-stack.js';
import { api, tokenFor } from './actions/helpers.js';

const LISTED = 'https://admin.example.com';
const PER_MINUTE = 5;

describe('edge security of the admin API', () => {
  const stack = useSmsStack({
    CORS_ORIGINS: `${LISTED},http://localhost:5173`,
    PUBLIC_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
  });
  // trustProxy: the client IP is X-Forwarded-For's, so each test takes an address of its own.
  let nextIp = 1;
  const freshIp = () => `203.0.113.${nextIp++}`;
  const get = (url: string, headers: Record<string, string> = {}) =>
    stack.app.inject({ method: 'GET', url, headers: { 'x-forwarded-for': freshIp(), ...headers } });

  it('sends the security headers on /api, /docs and /', async () => {
    for (const url of ['/api/tasks', '/docs', '/docs/static/swagger-ui-bundle.js', '/']) {
      const { headers } = await get(url);
      expect(headers['content-security-policy'], url).toContain("default-src 'self'");
      expect(headers['content-security-policy'], url).toContain("script-src 'self'");
      expect(headers['content-security-policy'], url).toContain("frame-ancestors 'none'");
      expect(headers['x-content-type-options'], url).toBe('nosniff');
      expect(headers['cross-origin-opener-policy'], url).toBe('same-origin');
      expect(headers['referrer-policy'], url).toBe('no-referrer');
      // PUBLIC_URL is http here: no HSTS, and no upgrade of subresources that would break them.
      expect(headers['strict-transport-security'], url).toBeUndefined();
      expect(headers['content-security-policy'], url).not.toContain('upgrade-insecure-requests');
    }
  });

  it('given the CSP, Swagger UI at /docs still renders in Chromium with no violation', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      await page.goto(`${stack.apiUrl}/docs`);
      await page.getByText('sms-agent API').first().waitFor({ timeout: 15_000 });
      // The operations list comes from /openapi.json, fetched by the page's own scripts.
      await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('hashes inline scripts for the dashboard hook, and leaves scripts with a src alone', () => {
    const html = '<script src="/app.js"></script><script type="module">start()</script>';
    // sha256("start()") in base64
    expect(inlineScriptHashes(html)).toEqual(["'sha256-DIm7WJS6ZKDYe5qFLPy+h4JFI9Bol5QmYC57mt3Fb00='"]);
  });

  it('given a CORS preflight from an unlisted origin, then it is refused; from a listed one, allowed with credentials', async () => {
    const preflight = (origin: string) =>
      stack.app.inject({
        method: 'OPTIONS',
        url: '/api/tasks',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
    const refused = await preflight('https://evil.example.com');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.headers['access-control-allow-credentials']).toBeUndefined();
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);

    const allowed = await preflight(LISTED);
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(LISTED);
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    expect(String(allowed.headers['access-control-allow-headers'])).toMatch(/authorization/i);

    // A simple request: the browser shows the answer only to a listed origin.
    expect((await get('/health', { origin: 'https://evil.example.com' })).headers['access-control-allow-origin']).toBe(
      undefined,
    );
    expect((await get('/health', { origin: LISTED })).headers['access-control-allow-origin']).toBe(LISTED);
  });

  it('given more public requests from one IP than the limit, then 429 with Retry-After and JSON; other IPs and /api are not limited', async () => {
    const ip = freshIp();
    const health = () => stack.app.inject({ method: 'GET', url: '/health', headers: { 'x-forwarded-for': ip } });
    for (let i = 0; i < PER_MINUTE; i++) expect((await health()).statusCode).toBe(200);
    const limited = await health();
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['content-type']).toMatch(/^application\/json/);
    expect(limited.json()).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED', error: 'Too Many Requests' });
    // The webhook shares the public limit: refused before its signature is even looked at.
    const webhook = await stack.app.inject({
      method: 'POST',
      url: '/sms/receive',
      headers: { 'x-forwarded-for': ip, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'Body=hi',
    });
    expect(webhook.statusCode).toBe(429);

    expect((await get('/health')).statusCode).toBe(200);
    // A caller on this host with no proxy in between (an operator, a local health check) is not limited.
    for (let i = 0; i < PER_MINUTE + 2; i++) {
      expect((await stack.app.inject({ method: 'GET', url: '/health', remoteAddress: '127.0.0.1' })).statusCode).toBe(
        200,
      );
    }
    for (let i = 0; i < PER_MINUTE + 2; i++) {
      const tasks = await stack.app.inject({ method: 'GET', url: '/api/tasks', headers: { 'x-forwarded-for': ip } });
      expect(tasks.statusCode).toBe(401);
    }
  });

  it('gives every error answer a stable code: 400, 401, 403, 404, 409, 413', async () => {
    await migrateReadModels(stack.config.DATABASE_URL as string);
    const analyst = await tokenFor(stack, 'analyst');
    expect((await api(stack, 'GET', '/api/tasks?limit=many')).body).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
    });
    expect((await api(stack, 'GET', '/api/tasks?cursor=not-a-cursor')).body).toMatchObject({
      statusCode: 400,
      code: 'BAD_REQUEST',
    });
    expect((await api(stack, 'GET', '/api/tasks', { token: null })).body).toMatchObject({
      statusCode: 401,
      code: 'UNAUTHENTICATED',
    });
    expect((await api(stack, 'POST', '/api/tasks/SMx/retry', { token: analyst, body: {} })).body).toMatchObject({
      statusCode: 403,
      code: 'FORBIDDEN',
    });
    expect((await api(stack, 'GET', '/api/tasks/SMnothing0000000000')).body).toMatchObject({
      statusCode: 404,
      code: 'NOT_FOUND',
    });
    // NUL cannot be stored by PostgreSQL: refused at the edge in a query, a path or a JSON body.
    expect((await api(stack, 'POST', '/api/tasks/SMx/retry', { body: { reason: 'a\u0000b' } })).body).toMatchObject({
      statusCode: 400,
      code: 'BAD_REQUEST',
    });
    expect((await api(stack, 'GET', '/no/such/route')).body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    // The Twilio signature check answers itself: the same shape.
    const unsigned = await stack.app.inject({
      method: 'POST',
      url: '/sms/receive',
      headers: { 'x-forwarded-for': freshIp(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'MessageSid=SM00000000000000000000000000000000&From=%2B14155550100&To=%2B15005550006&Body=hi',
    });
    expect(unsigned.json()).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });

    // 409: a retry of a task that is not waiting for one (it was answered).
    const sent = await stack.sendSms({ from: '+14155550188', body: 'What is a closure?' });
    await stack.handle(sent.sid).result();
    expect((await api(stack, 'POST', `/api/tasks/${sent.sid}/retry`, { body: {} })).body).toMatchObject({
      statusCode: 409,
      code: 'CONFLICT',
    });

    // 413 as JSON, from the Twilio webhook (form) and a JSON route alike (the body limit is 64 KiB).
    const big = 'x'.repeat(70 * 1024);
    const form = await stack.app.inject({
      method: 'POST',
      url: '/sms/receive',
      headers: { 'x-forwarded-for': freshIp(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: `Body=${big}`,
    });
    const json = await stack.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-forwarded-for': freshIp(), 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@example.com', password: big }),
    });
    for (const tooLarge of [form, json]) {
      expect(tooLarge.statusCode).toBe(413);
      expect(tooLarge.headers['content-type']).toMatch(/^application\/json/);
      expect(tooLarge.json()).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
    }
  });

  it('lists the code in the OpenAPI document of the error answers', async () => {
    const doc = (await get('/openapi.json')).json();
    expect(doc.components.schemas.ErrorResponse.required).toContain('code');
  });

  it('given a route that throws, then 500 INTERNAL with no stack or internal text; the store down, 503 STORE_UNAVAILABLE', async () => {
    // A second app on the stack's parts, with routes made to fail (an app takes no routes once listening).
    const app = await buildApp({
      config: stack.config,
      logger: createLogger({ level: 'silent' }),
      pool: stack.pool,
      temporal: stack.client,
      store: stack.store,
      inbox: { enabled: false },
    });
    app.get('/boom', async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.5:5432 at /srv/app/projections/tasks/queries.ts:42');
    });
    app.get('/store-down', async () => {
      throw new StoreUnavailableError('append timed out on pg pool sms_agent_events');
    });
    app.get('/conflict', async () => {
      throw new ConflictError('already');
    });
    try {
      const boom = await app.inject({ method: 'GET', url: '/boom' });
      expect(boom.statusCode).toBe(500);
      expect(boom.json()).toEqual({
        error: 'Internal Server Error',
        code: 'INTERNAL',
        message: 'Something went wrong; it has been logged.',
        statusCode: 500,
      });
      expect(boom.body).not.toMatch(/ECONNREFUSED|10\.0\.0\.5|\/srv\/|queries\.ts|stack/);

      const down = await app.inject({ method: 'GET', url: '/store-down' });
      expect(down.statusCode).toBe(503);
      expect(down.headers['retry-after']).toBe('5');
      expect(down.json()).toMatchObject({ statusCode: 503, code: 'STORE_UNAVAILABLE' });
      expect(down.body).not.toMatch(/pg pool|sms_agent_events/);

      expect((await app.inject({ method: 'GET', url: '/conflict' })).json()).toMatchObject({ code: 'CONFLICT' });
    } finally {
      await app.close();
    }
  });
});
