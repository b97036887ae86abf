import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { processTree } from '../../bench/support/proc.js';
import { ROOT } from '../support/processes.js';

const alive = (pid: number) => existsSync(`/proc/${pid}`);
const commandLine = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
};
/** The value after `flag` in the first command line that has it (PostgreSQL's -D, the dev server's --db-filename). */
function argAfter(pids: number[], flag: string): string | undefined {
  for (const pid of pids) {
    const cmd = commandLine(pid);
    const at = cmd.indexOf(flag);
    if (at >= 0 && cmd[at + 1]) return cmd[at + 1];
  }
  return undefined;
}

/** A short bench, its stderr collected. */
function startBench() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/pipeline.ts', '--seconds', '2'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // Its own processes, found by parentage (other test files may run benches and soaks meanwhile).
  const started = () => processTree(child.pid as number).filter((pid) => pid !== child.pid);
  return { child, exited, started, stderr: () => stderr };
}

/** Starts a short bench and resolves once its roles run (the ceilings come right after they are up). */
async function benchWithRolesUp() {
  const bench = startBench();
  for (let i = 0; i < 1200 && !bench.stderr().includes('Temporal ceilings'); i++) {
    if (bench.child.exitCode !== null) throw new Error(`the bench ended before its ceilings:\n${bench.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The four roles, PostgreSQL with its backends, and the dev server.
  const started = bench.started();
  const pgData = argAfter(started, '-D');
  const store = argAfter(started, '--db-filename');
  expect(started.length).toBeGreaterThanOrEqual(6);
  expect(pgData).toBeDefined();
  expect(store).toBeDefined();
  return { ...bench, started, pgData, store };
}

/** Every process the bench started has gone (PostgreSQL stops on its own signal: give it some seconds). */
async function expectAllGone(started: number[], seconds: number) {
  for (let i = 0; i < seconds * 5 && started.some(alive); i++) await new Promise((r) => setTimeout(r, 200));
  expect(started.filter(alive)).toEqual([]);
}

/** The dev server's store, on tmpfs when /dev/shm has room (the bench's default here), is freed. */
async function expectStoreFreed(store: string | undefined) {
  if (!store?.startsWith('/dev/shm/')) return;
  for (let i = 0; i < 25 && existsSync(path.dirname(store)); i++) await new Promise((r) => setTimeout(r, 200));
  expect(existsSync(path.dirname(store))).toBe(false);
}

describe('npm run bench, interrupted', () => {
  it('on Ctrl-C (SIGINT) stops its roles, PostgreSQL and the dev server, and frees the tmpfs store', async () => {
    const { child, exited, started, pgData, store, stderr } = await benchWithRolesUp();
    child.kill('SIGINT');
    try {
      expect((await exited).code).toBe(130);
      expect(stderr()).toContain('SIGINT: stopping');
      await expectAllGone(started, 10);
      await expectStoreFreed(store);
    } finally {
      if (pgData) rmSync(path.dirname(pgData), { recursive: true, force: true });
    }
  }, 120_000);

  it('killed outright (SIGKILL, no exit listener runs), its reaper stops everything it started and frees the tmpfs store', async () => {
    const { child, exited, started, pgData, store } = await benchWithRolesUp();
    child.kill('SIGKILL');
    try {
      expect((await exited).signal).toBe('SIGKILL');
      // The reaper signals at once and SIGKILLs what is left after 10 s.
      await expectAllGone(started, 20);
      await expectStoreFreed(store);
    } finally {
      if (pgData) rmSync(path.dirname(pgData), { recursive: true, force: true });
    }
  }, 120_000);

  it('killed outright while PostgreSQL and the dev server are still starting, its reaper stops them as well', async () => {
    const bench = startBench();
    const { child, exited, stderr } = bench;
    // Both servers spawned, and the bench not yet past their start-up (it migrates next).
    let started: number[] = [];
    for (let i = 0; i < 600; i++) {
      started = bench.started();
      if (argAfter(started, '-D') && argAfter(started, '--db-filename')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const pgData = argAfter(started, '-D');
    const store = argAfter(started, '--db-filename');
    child.kill('SIGKILL');
    // With whatever the servers have spawned since (the backends, the CLI's server under a wrapper).
    const all = [...new Set(started.flatMap(processTree))];
    try {
      expect(pgData).toBeDefined();
      expect(store).toBeDefined();
      expect(stderr()).toContain('starting PostgreSQL and Temporal');
      expect(stderr()).not.toContain('migrating');
      expect((await exited).signal).toBe('SIGKILL');
      await expectAllGone(all, 20);
      await expectStoreFreed(store);
    } finally {
      if (pgData) rmSync(path.dirname(pgData), { recursive: true, force: true });
    }
  }, 120_000);
});
