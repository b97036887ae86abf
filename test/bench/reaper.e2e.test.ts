import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'reaper-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the bench reaper', () => {
  it('gone early (killed by hand), leaves the benchmark running: a send on its closed channel is not fatal', () => {
    const script = path.join(tmp, 'reaper-gone.mts');
    const support = (file: string) => JSON.stringify(path.join(ROOT, 'bench/support', file));
    writeFileSync(
      script,
      `import { setTimeout as sleep } from 'node:timers/promises';
import { findProcesses, parentOf } from ${support('proc.ts')};
import { reapOnDeath, release } from ${support('reaper.ts')};
reapOnDeath(2 ** 22 + 1); // no such process
// Its own reaper only: other tests' benches have theirs.
const mine = () => findProcesses([${support('reaper-process.ts')}]).filter((pid) => parentOf(pid) === process.pid);
for (let i = 0; i < 100 && mine().length === 0; i++) await sleep(50);
await sleep(500); // listening, the queued registration sent
const reapers = mine();
for (const pid of reapers) process.kill(pid, 'SIGKILL');
await sleep(300);
release(2 ** 22 + 1);
reapOnDeath(2 ** 22 + 2);
await sleep(300);
console.log(\`reapers killed: \${reapers.length}; still running\`);
`,
    );
    const out = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8' });
    expect(out.stderr).not.toContain('ERR_IPC_CHANNEL_CLOSED');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain('reapers killed: 1; still running');
  }, 30_000);
});
