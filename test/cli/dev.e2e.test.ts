import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { DEMO_LABEL } from '../../activities/demo-model.js';
import { DASHBOARD_BUILD } from '../../api/plugins/dashboard.js';
import { freePort, isPortOpen } from '../../infra/ports.js';
import type { StackFile } from '../../infra/stack.js';
import { UNENCRYPTED_WARNING } from '../../infra/temporal-data-converter.js';
import { workerDatabaseUrl } from '../support/database.js';
import { type Spawned, spawnCli } from '../support/processes.js';

/**
 * The README's run command, end to end: embedded PostgreSQL and a Temporal dev server of its
 * own (DATABASE_URL and TEMPORAL_ADDRESS unset), the app answering /ready, a clean stop.
 */
describe('sms-agent dev', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sms-agent-dev-'));
  chmodSync(dataDir, 0o755);
  // A test that fails half way must not leave its dev running: the next start would refuse the
  // shared data folder ("already running") and every later test would fail for that reason alone.
  const started: Spawned[] = [];
  afterEach(async () => {
    for (const dev of started.splice(0)) {
      if (dev.child.exitCode !== null || dev.child.signalCode !== null) continue;
      dev.child.kill('SIGTERM');
      const stopped = await Promise.race([dev.exit.then(() => true), sleep(30_000).then(() => false)]);
      if (!stopped) dev.child.kill('SIGKILL');
    }
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function startDev(env: Record<string, string | undefined> = {}) {
    const [port, uiPort] = [await freePort(), await freePort()];
    const dev = spawnCli(['dev'], {
      DATA_DIR: dataDir,
      PORT: String(port),
      TEMPORAL_UI_PORT: String(uiPort),
      DATABASE_URL: undefined,
      TEMPORAL_ADDRESS: undefined,
      LOG_LEVEL: 'warn',
      ...env,
    });
    started.push(dev);
    await dev.waitFor('sms-agent is running', 90_000);
    const stack = JSON.parse(readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as StackFile;
    return { dev, port, uiPort, stack };
  }

  async function stopAndCheckNothingLeft(run: Awaited<ReturnType<typeof startDev>>) {
    run.dev.child.kill('SIGTERM');
    const exit = await run.dev.exit;
    expect(exit.code, run.dev.output()).toBe(0);
    const pgPort = Number(new URL(run.stack.databaseUrl ?? '').port);
    const temporalPort = Number(run.stack.temporalAddress?.split(':')[1]);
    for (const port of [run.port, run.uiPort, pgPort, temporalPort]) expect(await isPortOpen(port)).toBe(false);
    expect(() => readFileSync(path.join(dataDir, 'stack.json'))).toThrow();
  }

  it('brings up PostgreSQL, Temporal with its UI and the API, then stops without leftovers', async () => {
    const run = await startDev();
    expect(run.dev.output()).toContain(`http://localhost:${run.port}`);
    expect(run.dev.output()).toContain(`Temporal UI:  http://localhost:${run.uiPort}`);

    const ready = await fetch(`http://127.0.0.1:${run.port}/ready`);
    const body = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(ready.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.postgres?.status).toBe('up');
    expect(body.checks.temporal?.status).toBe('up');
    expect((await fetch(`http://127.0.0.1:${run.port}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${run.uiPort}/`)).status).toBe(200);
    // No TEMPORAL_PAYLOAD_KEYS: it runs, says so once in the log and in the banner, and the UI has no codec
    expect(run.dev.output().split(UNENCRYPTED_WARNING)).toHaveLength(2);
    expect(run.dev.output()).toContain('WARNING: Temporal payloads are NOT encrypted');
    expect(await uiCodecEndpoint(run.uiPort)).toBe('');

    // Leave a mark in the database to find after a restart.
    const client = new pg.Client({ connectionString: run.stack.databaseUrl });
    await client.connect();
    await client.query('CREATE TABLE survives_restart (id int); INSERT INTO survives_restart VALUES (42)');
    await client.end();

    await stopAndCheckNothingLeft(run);
  });

  it('reuses the data folder on a second start', async () => {
    const run = await startDev();
    const client = new pg.Client({ connectionString: run.stack.databaseUrl });
    await client.connect();
    const { rows } = await client.query('SELECT id FROM survives_restart');
    await client.end();
    expect(rows).toEqual([{ id: 42 }]);
    await stopAndCheckNothingLeft(run);
  });

  it('stops at start-up with a message naming a bad variable', async () => {
    const dev = spawnCli(['dev'], { DATA_DIR: dataDir, PORT: 'eighty' });
    const exit = await dev.exit;
    expect(exit.code).toBe(2);
    expect(dev.output()).toMatch(/PORT: .*eighty/);
  });

  it('with TEMPORAL_PAYLOAD_KEYS, points the Temporal UI at the API codec endpoint', async () => {
    const run = await startDev({ TEMPORAL_PAYLOAD_KEYS: `dev:${Buffer.alloc(32, 3).toString('base64')}` });
    const endpoint = `http://localhost:${run.port}/api/temporal-codec`;
    expect(run.dev.output()).toContain(`Payloads:     encrypted; the Temporal UI decodes them through ${endpoint}`);
    expect(run.dev.output()).not.toContain('NOT encrypted');
    expect(await uiCodecEndpoint(run.uiPort)).toBe(endpoint);
    await stopAndCheckNothingLeft(run);
  });

  it('with nothing configured, prints a sign-in link whose session gets a simulated SMS answered by the demo model', async () => {
    const run = await startDev({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, ADMIN_API_TOKEN: undefined });
    const output = run.dev.output();
    expect(output).toContain('AI:           demo model');
    expect(output).toContain('set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL');
    const link = /Sign in: +(\S+)/.exec(output)?.[1] ?? '';
    expect(link).toMatch(new RegExp(`^http://localhost:${run.port}/api/auth/dev-link\\?token=[\\w-]{40,}$`));

    const signIn = await fetch(link, { redirect: 'manual' });
    expect(signIn.status).toBe(302);
    const cookie = signIn.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const base = `http://localhost:${run.port}`;
    const me = (await (await fetch(`${base}/api/auth/me`, { headers: { cookie } })).json()) as { csrfToken: string };
    const sent = await fetch(`${base}/api/simulator/sms`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': me.csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+14155550123', body: 'How do I reverse a list in Python?' }),
    });
    expect(sent.status).toBe(202);
    const { messageSid } = (await sent.json()) as { messageSid: string };

    let task: Record<string, unknown> | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(250)) {
      const response = await fetch(`${base}/api/tasks/${messageSid}`, { headers: { cookie } });
      if (response.status === 200) task = ((await response.json()) as { task: Record<string, unknown> }).task;
      if (task?.status === 'completed') break;
    }
    expect(task, run.dev.output()).toMatchObject({
      status: 'completed',
      outcome: 'answered',
      model: 'demo',
      tokensUsed: 0,
      costUsd: 0,
      category: 'coding',
    });
    expect(String(task?.aiResponse).startsWith(DEMO_LABEL)).toBe(true);
    // The link served once, and its token went nowhere but the banner.
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(401);
    const token = new URL(link).searchParams.get('token') ?? '';
    expect(run.dev.output().split(token)).toHaveLength(2);
    await stopAndCheckNothingLeft(run);
  });

  it('in Chromium, the printed link opens the dashboard signed in, and the simulator shows the demo answer', async () => {
    expect(existsSync(path.join(DASHBOARD_BUILD, '200.html')), 'run `npm run build:dashboard` first').toBe(true);
    const run = await startDev({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, ADMIN_API_TOKEN: undefined });
    const link = /Sign in: +(\S+)/.exec(run.dev.output())?.[1] ?? '';
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(link);
      await page.waitForURL((u) => u.pathname === '/');
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Simulator' }).click();
      await page.getByPlaceholder('Text message').fill('What is a closure in JavaScript?');
      await page.getByRole('button', { name: 'Send' }).click();
      const answer = page.locator('.bubble.in', { hasText: DEMO_LABEL });
      await answer.waitFor({ timeout: 30_000 });
      expect(await answer.textContent()).toContain('Category: coding.');
      // For the README (the lead adds it): the first run, answered.
      const screenshots = path.resolve('test-artifacts/screenshots');
      mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: path.join(screenshots, 'first-run-simulator.png') });
    } catch (error) {
      // What the browser and the stack saw, for a failure seen once and not again.
      throw new Error(
        `${(error as Error).message}\nat ${browser.contexts()[0]?.pages()[0]?.url()}\n${run.dev.output().slice(-3000)}`,
      );
    } finally {
      await browser.close();
    }
    await stopAndCheckNothingLeft(run);
  });

  it('refuses NODE_ENV=production with no AI configured, naming both variables', async () => {
    for (const command of ['dev', 'worker']) {
      const run = spawnCli([command], {
        DATA_DIR: dataDir,
        DATABASE_URL: workerDatabaseUrl(),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        NODE_ENV: 'production',
        TEMPORAL_PAYLOAD_KEYS: `prod:${Buffer.alloc(32, 5).toString('base64')}`,
        OPENAI_API_KEY: undefined,
        OPENAI_BASE_URL: undefined,
      });
      const exit = await run.exit;
      expect(exit.code, run.output()).toBe(2);
      expect(run.output()).toMatch(/OPENAI_API_KEY \/ OPENAI_BASE_URL: one is required when NODE_ENV=production/);
      expect(run.output()).not.toContain('sms-agent is running');
    }
  });

  it.each([
    [
      'NODE_ENV=production and no key',
      { NODE_ENV: 'production' },
      /TEMPORAL_PAYLOAD_KEYS: required when NODE_ENV=production/,
    ],
    [
      'a key that is not 32 bytes',
      { TEMPORAL_PAYLOAD_KEYS: 'dev:c2hvcnQ=' },
      /TEMPORAL_PAYLOAD_KEYS: .*must be 32 bytes, got 5/,
    ],
  ])('refuses to start with %s, naming the variable (and never the key)', async (_name, env, message) => {
    for (const command of ['dev', 'worker']) {
      const run = spawnCli([command], {
        DATA_DIR: dataDir,
        DATABASE_URL: workerDatabaseUrl(),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        ...env,
      });
      const exit = await run.exit;
      expect(exit.code, run.output()).toBe(2);
      expect(run.output()).toMatch(message);
      expect(run.output()).not.toContain('c2hvcnQ');
    }
  });
});

/** The codec endpoint the Temporal UI was started with, from its settings API. */
async function uiCodecEndpoint(uiPort: number): Promise<string> {
  const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as {
    Codec: { Endpoint: string };
  };
  return settings.Codec.Endpoint;
}
