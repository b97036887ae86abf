import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cpuSecondsOf, runQueueSeconds, runQueueWaitOf } from '../../bench/support/proc.js';

describe('cpuSecondsOf', () => {
  it('counts the CPU of children that have exited and been reaped (PostgreSQL backends)', () => {
    const before = cpuSecondsOf(process.pid);
    // The child spins until it has used 400 ms of its own CPU (not wall time: the machine may be busy).
    const child = spawnSync(process.execPath, [
      '-e',
      'while (process.cpuUsage().user + process.cpuUsage().system < 400_000) {}',
    ]);
    expect(child.status).toBe(0);
    const used = cpuSecondsOf(process.pid) - before;
    // Without cutime/cstime the exited child's 0.4 s would be gone from the tree's total.
    expect(used).toBeGreaterThanOrEqual(0.35);
  });
});

describe('runQueueWaitOf', () => {
  const child = (code: string) => spawn(process.execPath, ['-e', code], { stdio: 'ignore' });

  it('measures the time processes were ready to run but had no core, and none for a sleeping one', async () => {
    const cores = os.availableParallelism();
    // Twice as many busy loops as cores: on average half of them wait for a core all along.
    const busy = Array.from({ length: 2 * cores }, () =>
      child('const end = Date.now() + 3000; while (Date.now() < end) {}'),
    );
    const idle = child('setTimeout(() => {}, 3000)');
    try {
      await sleep(500); // started and spinning
      const pids = busy.map((c) => c.pid as number);
      const before = { busy: runQueueWaitOf(pids), idle: runQueueWaitOf([idle.pid as number]) };
      await sleep(1000);
      const waited = runQueueSeconds(before.busy, runQueueWaitOf(pids));
      const idleWaited = runQueueSeconds(before.idle, runQueueWaitOf([idle.pid as number]));
      // About `cores` seconds in theory (more if the machine is busier); a quarter of it at least.
      expect(waited).toBeGreaterThan(0.25 * cores);
      expect(idleWaited).toBeLessThan(0.05);
    } finally {
      for (const c of [...busy, idle]) c.kill('SIGKILL');
    }
  });

  it('counts a thread that started between readings from zero and leaves out one that exited', () => {
    const before = new Map([
      ['10/10', 2e9],
      ['10/11', 1e9],
    ]);
    const after = new Map([
      ['10/10', 2.5e9], // waited 0.5 s more
      ['10/12', 0.25e9], // new: all of its 0.25 s is in between
    ]);
    expect(runQueueSeconds(before, after)).toBeCloseTo(0.75);
    // A thread id reused by a new thread with less wait than the old one: never negative.
    expect(runQueueSeconds(new Map([['10/10', 3e9]]), new Map([['10/10', 1e9]]))).toBe(0);
  });
});
