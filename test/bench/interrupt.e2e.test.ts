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

describe('npm run bench, interrupted', () => {
  it('on Ctrl-C (SIGINT) stops its roles, PostgreSQL and the dev server, and frees the tmpfs store', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/pipeline.ts', '--seconds', '2'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Once the roles run (the ceilings come right after they are up), interrupt.
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('Temporal ceilings')) resolve();
      });
      exited.then(() => reject(new Error(`the bench ended before its ceilings:\n${stderr}`)));
    });
    // Its own processes, found by parentage (other test files may run benches and soaks meanwhile):
    // the four roles, PostgreSQL with its backends, and the dev server.
    const started = processTree(child.pid as number).filter((pid) => pid !== child.pid);
    const pgData = argAfter(started, '-D');
    const store = argAfter(started, '--db-filename');
    expect(started.length).toBeGreaterThanOrEqual(6);
    expect(pgData).toBeDefined();
    expect(store).toBeDefined();
    child.kill('SIGINT');
    try {
      expect(await exited).toBe(130);
      expect(stderr).toContain('SIGINT: stopping');
      // PostgreSQL stops on its own signal after the bench has gone: give it a few seconds.
      for (let i = 0; i < 50 && started.some(alive); i++) await new Promise((r) => setTimeout(r, 200));
      expect(started.filter(alive)).toEqual([]);
      // On tmpfs when /dev/shm has room (the bench's default here): freed with the rest.
      if (store?.startsWith('/dev/shm/')) expect(existsSync(path.dirname(store))).toBe(false);
    } finally {
      if (pgData) rmSync(path.dirname(pgData), { recursive: true, force: true });
    }
  }, 120_000);
});
