import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuSecondsOf } from '../../bench/support/proc.js';

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
