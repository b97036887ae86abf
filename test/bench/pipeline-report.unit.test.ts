import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes.js';

/** Runs 34 and 47's `npm run bench -- --json` output (README's runs table), as the bench wrote it. */
const RUN_34 = path.join(ROOT, 'test/fixtures/bench-run-34.json');
const RUN_47 = path.join(ROOT, 'test/fixtures/bench-run-47.json');
const WAITING = 'Ingest: cores used / cores waiting on a run queue';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const reportOf = (file: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bench/pipeline.ts', '--report', file], {
    cwd: ROOT,
    encoding: 'utf8',
  });

describe('npm run bench -- --report', () => {
  it("prints a saved run's tables and verdicts, starting nothing, whatever npm printed before the JSON", () => {
    const saved = JSON.parse(readFileSync(RUN_34, 'utf8')) as {
      machine: { cpuModel: string; code: string };
      targets: { target: string; measured: string; pass: boolean }[];
    };
    // As `npm run bench -- --json > run.json` leaves it: npm's two header lines first.
    const file = path.join(tmp, 'run.json');
    writeFileSync(
      file,
      `\n> sms-agent@0.1.0 bench\n> node --import tsx bench/pipeline.ts --json\n\n${readFileSync(RUN_34, 'utf8')}`,
    );
    const out = reportOf(file);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout).toContain(`Pipeline benchmark: 2 x ${saved.machine.cpuModel}`);
    expect(out.stdout).toContain(`Code: ${saved.machine.code}`);
    for (const t of ['Ingest:', 'Temporal ceilings', 'End to end:', 'Cost in a user', 'Targets'])
      expect(out.stdout).toContain(t);
    const verdicts = out.stdout.split('\n').filter((l) => / (PASS|MISS)$/.test(l));
    expect(verdicts).toHaveLength(saved.targets.length);
    for (const [i, t] of saved.targets.entries()) {
      expect(verdicts[i]).toMatch(new RegExp(`^${t.target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
      expect(verdicts[i]?.endsWith(t.pass ? 'PASS' : 'MISS')).toBe(true);
      expect(verdicts[i]).toContain(t.measured);
    }
  });

  it('prints the run-queue table where the run measured it (from run 37), and leaves it out of older runs', () => {
    const older = reportOf(RUN_34);
    expect(older.status, older.stderr).toBe(0);
    expect(older.stdout).not.toContain(WAITING);
    const out = reportOf(RUN_47);
    expect(out.status, out.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(RUN_47, 'utf8')) as {
      ingest: { ours: { load: string }; cpu: { api: number }; waiting: Record<string, number> & { api: number } }[];
    };
    const lines = out.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith(WAITING));
    expect(at).toBeGreaterThan(0);
    // One row per ingest load: each process's cores used / cores waiting, then the machine's total wait.
    for (const [i, { ours, cpu, waiting }] of saved.ingest.entries()) {
      const row = lines[at + 3 + i] as string;
      expect(row.startsWith(ours.load)).toBe(true);
      expect(row).toContain(`${Math.round(cpu.api * 100) / 100} / ${Math.round(waiting.api * 100) / 100}`);
      const total = Object.values(waiting).reduce((a, b) => a + b, 0);
      expect(row.trimEnd().endsWith(String(Math.round(total * 100) / 100))).toBe(true);
    }
  });

  it("names an answered SMS's activities as the run's sampled history had them (1 local + 1 remote before run 42)", () => {
    const older = reportOf(RUN_34);
    expect(older.stdout).toContain(
      'End to end: webhook to reply at the fake Twilio (1 local + 1 remote activity, 13 history events',
    );
    const out = reportOf(RUN_47);
    expect(out.stdout).toContain(
      'End to end: webhook to reply at the fake Twilio (1 remote activity, 12 history events',
    );
  });

  it('refuses a file with no saved run, naming it', () => {
    const file = path.join(tmp, 'empty.json');
    writeFileSync(file, 'benchmark failed: no JSON here\n');
    const out = reportOf(file);
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain(`${file}: no JSON object`);
    expect(out.stdout).toBe('');
  });
});
