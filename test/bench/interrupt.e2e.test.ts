import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allPids } from '../../bench/support/proc.js';
import { ROOT } from '../support/processes.js';

const scratch = (dir: string, prefix: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.startsWith(prefix))
        .map((f) => path.join(dir, f))
    : [];
/**
 * Processes whose command line or environment mentions `text`: PostgreSQL's -D, the dev server's
 * --db-filename, the roles' DATA_DIR (inside the bench's folder).
 */
const processesMentioning = (text: string) =>
  allPids()
    .filter((pid) => pid !== process.pid)
    .filter((pid) => {
      try {
        const environ = existsSync(`/proc/${pid}/environ`) ? readFileSync(`/proc/${pid}/environ`, 'utf8') : '';
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text) || environ.includes(text);
      } catch {
        return false;
      }
    });

describe('npm run bench, interrupted', () => {
  it('on Ctrl-C (SIGINT) stops its roles, PostgreSQL and the dev server, and frees the tmpfs store', async () => {
    const benchDirsBefore = new Set(scratch(os.tmpdir(), 'sms-agent-bench-'));
    const storesBefore = new Set(scratch('/dev/shm', 'sms-agent-bench-temporal-'));
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
    const benchDir = scratch(os.tmpdir(), 'sms-agent-bench-').find((d) => !benchDirsBefore.has(d)) as string;
    const store = scratch('/dev/shm', 'sms-agent-bench-temporal-').find((d) => !storesBefore.has(d));
    expect(benchDir).toBeDefined();
    // PostgreSQL's postmaster (-D) and the roles (DATA_DIR): worker, projector, API.
    expect(processesMentioning(benchDir).length).toBeGreaterThanOrEqual(4);
    child.kill('SIGINT');
    try {
      expect(await exited).toBe(130);
      expect(stderr).toContain('SIGINT: stopping');
      // PostgreSQL stops on its own signal after the bench has gone: give it a few seconds.
      for (let i = 0; i < 50 && processesMentioning(benchDir).length > 0; i++)
        await new Promise((r) => setTimeout(r, 200));
      expect(processesMentioning(benchDir)).toEqual([]);
      if (store) {
        expect(processesMentioning(store)).toEqual([]);
        expect(existsSync(store)).toBe(false);
      }
    } finally {
      rmSync(benchDir, { recursive: true, force: true });
    }
  }, 120_000);
});
