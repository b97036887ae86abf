import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ROOT } from '../support/processes.js';

interface SoakOutput {
  ok: boolean;
  invariants: { name: string; pass: boolean; detail: string }[];
  faults: Record<string, number>;
  webhook: { duplicates: number };
  terminals: { completed: number; failed: number };
}

/** Runs bench/soak.ts as `npm run soak` does, small: its own PostgreSQL (it restarts it), the run's Temporal. */
function runSoak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/soak.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('chaos soak (short)', () => {
  it("given 150 SMS with duplicate deliveries, AI and Twilio failures, a worker kill, two kills between Twilio's answer and ReplySent, a projector kill and a PostgreSQL restart, then no SMS is lost or answered twice and the read models equal a rebuild", async () => {
    // Given / When
    const run = await runSoak([
      ...['--sms', '150', '--duration', '40', '--kills', '1', '--send-kills', '2', '--pg-restarts', '1'],
      ...['--wait', '180'],
      ...['--seed', process.env.SOAK_SEED ?? '1', '--json', '--temporal-address', inject('temporalAddress')],
    ]);

    // Then
    const lastLine = run.stdout.trim().split('\n').at(-1) ?? '';
    expect(lastLine.startsWith('{'), `no JSON result; stderr:\n${run.stderr}`).toBe(true);
    const result = JSON.parse(lastLine) as SoakOutput;
    const failed = result.invariants.filter((i) => !i.pass);
    expect(failed, `${JSON.stringify(failed, null, 1)}\n${run.stderr}`).toEqual([]);
    expect(result.invariants.map((i) => i.name)).toEqual([
      'every SMS got exactly one reply',
      'no event id appears twice in the events table',
      'no step recorded twice (task steps, quota units, conversation turns, registrations)',
      'every task stream reached a terminal event (TaskCompleted; none failed)',
      'no workflow left running except failed ones awaiting a retry signal',
      'read models equal a fresh rebuild, row by row',
      'the tasks read model has one completed row per SMS',
    ]);
    // And the faults really happened
    expect(result.faults.workerKills).toBe(1);
    // Twice the worker died between Twilio's 201 and the ReplySent append
    expect(result.faults.workerKillsAtSend).toBe(2);
    expect(result.faults.projectorKills).toBe(1);
    expect(result.faults.aiFailed).toBeGreaterThan(0);
    expect(result.faults.twilioFailed).toBeGreaterThan(0);
    expect(result.webhook.duplicates).toBeGreaterThan(0);
    expect(result.terminals.completed).toBe(150);
    expect(run.code).toBe(0);
  }, 420_000);
});
