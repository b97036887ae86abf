import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort, isPortOpen } from '../../infra/ports.js';
import type { StackFile } from '../../infra/stack.js';
import { UNENCRYPTED_WARNING } from '../../infra/temporal-data-converter.js';
import { spawnCli } from '../support/processes.js';

/**
 * The README's run command, end to end: embedded PostgreSQL and a Temporal dev server of its
 * own (DATABASE_URL and TEMPORAL_ADDRESS unset), the app answering /ready, a clean stop.
 */
describe('sms-agent dev', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sms-agent-dev-'));
  chmodSync(dataDir, 0o755);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function startDev(env: Record<string, string> = {}) {
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
        DATABASE_URL: inject('databaseUrl'),
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
