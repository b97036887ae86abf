import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, isPortOpen } from '../../infra/ports.js';
import type { StackFile } from '../../infra/stack.js';
import { spawnCli } from '../support/processes.js';

/**
 * The README's run command, end to end: embedded PostgreSQL and a Temporal dev server of its
 * own (DATABASE_URL and TEMPORAL_ADDRESS unset), the app answering /ready, a clean stop.
 */
describe('sms-agent dev', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sms-agent-dev-'));
  chmodSync(dataDir, 0o755);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function startDev() {
    const [port, uiPort] = [await freePort(), await freePort()];
    const dev = spawnCli(['dev'], {
      DATA_DIR: dataDir,
      PORT: String(port),
      TEMPORAL_UI_PORT: String(uiPort),
      DATABASE_URL: undefined,
      TEMPORAL_ADDRESS: undefined,
      LOG_LEVEL: 'warn',
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
});
