import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import dashboard, { DASHBOARD_BUILD } from '../../api/plugins/dashboard.js';
import { INITIAL_JS_BUDGET_BYTES, initialJs } from '../../scripts/dashboard-size.js';
import { tokenFor } from '../api/actions/helpers.js';
import { useSmsStack } from '../support/sms-stack.js';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('the API serves the built dashboard at /', () => {
  const stack = useSmsStack();
  const get = (url: string, headers: Record<string, string> = {}) => stack.app.inject({ method: 'GET', url, headers });

  it("answers / and deep links with the app's page: not cached, its start-up script allowed by hash in the CSP", async () => {
    const fallback = readFileSync(path.join(DASHBOARD_BUILD, '200.html'), 'utf8');
    const inline = /<script>([\s\S]*?)<\/script>/.exec(fallback)?.[1] ?? '';
    const hash = `'sha256-${createHash('sha256').update(inline).digest('base64')}'`;
    for (const url of ['/', '/tasks/SM0123?x=1', '/simulator', '/login?next=%2Ftasks']) {
      const response = await get(url, HTML);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.body).toBe(fallback);
      const scriptSrc = /script-src ([^;]*)/.exec(String(response.headers['content-security-policy']))?.[1];
      expect(scriptSrc?.split(' ')).toEqual(expect.arrayContaining(["'self'", hash]));
      expect(scriptSrc).not.toContain('unsafe-inline');
    }
  });

  it('serves hashed assets as immutable for a year', async () => {
    const entry = readdirSync(path.join(DASHBOARD_BUILD, '_app/immutable/entry'))[0] as string;
    const response = await get(`/_app/immutable/entry/${entry}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/javascript/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it("keeps the API's paths: unknown /api/* is a JSON 404 even for a browser; /health is JSON unless a browser asks", async () => {
    for (const url of ['/api/nope', '/api/tasks/SM1/nope', '/sms/nope', '/metricsx/../api/x']) {
      const response = await get(url, HTML);
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ error: 'Not Found', statusCode: 404 });
    }
    const probe = await get('/health');
    expect(probe.json()).toMatchObject({ status: 'ok' });
    const browser = await get('/health', HTML);
    expect(browser.headers['content-type']).toMatch(/^text\/html/);
    expect((await get('/ready', HTML)).headers['content-type']).toMatch(/json/);
  });

  it('answers a missing file that is not a page with a 404, and never serves files outside the build', async () => {
    expect((await get('/_app/immutable/nope.js')).statusCode).toBe(404);
    expect((await get('/favicon.svg')).statusCode).toBe(200);
    const traversal = await get('/..%2f..%2fpackage.json');
    expect(traversal.statusCode).toBe(404);
    expect(traversal.body).not.toContain('"sms-agent"');
  });
});

describe('without a build', () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'no-dashboard-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('/ says how to build the dashboard instead of failing', async () => {
    const app = Fastify();
    await app.register(dashboard, { root: empty });
    const response = await app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('npm run build:dashboard');
    await app.close();
  });
});

describe('the first load', () => {
  it('fetches under 150 KB of gzipped JavaScript', () => {
    const { files, total } = initialJs();
    expect(files.length).toBeGreaterThan(2);
    expect(files.every((f) => f.gzip > 0)).toBe(true);
    expect(total).toBeLessThan(INITIAL_JS_BUDGET_BYTES);
  });
});

describe('GET /api/health (the Health page)', () => {
  const stack = useSmsStack();

  it("gives admin and ops every dependency's check and the AI and SMS in use; 401 without credentials, 403 for analysts", async () => {
    const as = (token?: string) =>
      stack.app.inject({ url: '/api/health', headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await as()).statusCode).toBe(401);
    const analyst = await tokenFor(stack, 'analyst');
    expect((await as(analyst)).statusCode).toBe(403);
    const ops = await tokenFor(stack, 'ops');
    const answer = await as(ops);
    expect(answer.statusCode).toBe(200);
    const body = answer.json();
    expect(body.status).toBe('ready');
    expect(body.checks.postgres).toMatchObject({ status: 'up', required: true });
    expect(Object.keys(body.checks)).toContain('temporal');
    expect(body.ai).toEqual({
      provider: 'compatible',
      description: `OpenAI-compatible server at ${stack.openai.baseUrl}, model ${stack.config.OPENAI_MODEL}`,
    });
    expect(body.sms).toBe('twilio');
  });
});
