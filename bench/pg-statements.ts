/**
 * Where PostgreSQL's share of an answered SMS goes: the pipeline (worker, projector, API) answers a
 * burst of SMS against a PostgreSQL with pg_stat_statements loaded, then prints each statement's
 * calls and execution time per answered SMS, busiest first, and which role's connection ran it.
 * A diagnosis for issue #18's PostgreSQL lever, not a benchmark with targets (`npm run bench` is).
 *
 *   node --import tsx bench/pg-statements.ts [--sms 300] [--concurrency 32 | --sequential] [--top 25] [--json] [--profile-worker dir]
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createPool } from '../infra/db.js';
import { freePort } from '../infra/ports.js';
import { measureEndToEnd } from './support/e2e.js';
import { HttpClient } from './support/http-client.js';
import { startBenchInfra } from './support/infra.js';
import { cpuSecondsOf } from './support/proc.js';
import { ReplyTracker } from './support/replies.js';
import { type RoleProcess, spawnRole, untilHealthy, untilWorkerPolls } from './support/roles.js';
import { fmt, table } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    sms: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '32' },
    /** One SMS at a time (the next after the reply) instead of a burst: the latency path. */
    sequential: { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    json: { type: 'boolean', default: false },
    /** Write a V8 CPU profile of the worker (node --cpu-prof) into this folder when it stops. */
    'profile-worker': { type: 'string' },
  },
});
const QUEUE = 'bench-pg-statements';
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main() {
  const infra = await startBenchInfra({
    pgSettings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' },
    log,
  });
  const roles: RoleProcess[] = [];
  const logFile = (name: string) => path.join(infra.dir, 'logs', `${name}.log`);
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const env = infra.roleEnv({
    LOG_LEVEL: 'warn',
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    TEMPORAL_TASK_QUEUE: QUEUE,
    // Settings under trial, passed on from this process's environment.
    ...(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('PROJECTOR_'))) as Record<
      string,
      string
    >),
  });
  const pool = createPool(infra.databaseUrl, { max: 2, applicationName: 'bench' });
  try {
    const migrate = spawnRole('migrate', { role: 'migrate' }, env, logFile('migrate'));
    if ((await migrate.exited).code !== 0) throw new Error(`migrate failed; see ${logFile('migrate')}`);
    await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const profile = args['profile-worker'];
    const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] : [];
    const worker = spawnRole('worker', { role: 'worker', nodeArgs }, env, logFile('worker'));
    const projector = spawnRole('projector', { role: 'projector' }, env, logFile('projector'));
    const api = spawnRole('api', { role: 'api' }, env, logFile('api'));
    roles.push(worker, projector, api);
    await Promise.all([untilHealthy(`${publicUrl}/health`, api), untilWorkerPolls(infra.client, QUEUE, worker)]);
    const http = new HttpClient(publicUrl);
    const tracker = new ReplyTracker(infra.twilio);
    // Warm-up (first SMS pay for start-up), then count from zero.
    await measureEndToEnd({
      http,
      tracker,
      publicUrl,
      scenario: 'warm-up',
      phase: 1,
      load: { concurrency: 8, count: 40 },
      timeoutMs: 120_000,
    });
    await new Promise((r) => setTimeout(r, 3000));
    await pool.query('SELECT pg_stat_statements_reset()');
    const pids: Record<string, number> = {
      postgres: infra.postgres.pid,
      projector: projector.pid,
      worker: worker.pid,
      api: api.pid,
      // The dev server we started (none with TEMPORAL_ADDRESS given).
      ...(infra.temporalPids[0] !== undefined && { temporal: infra.temporalPids[0] }),
    };
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSecondsOf(pid)]));
    const result = await measureEndToEnd({
      http,
      tracker,
      publicUrl,
      scenario: 'burst',
      phase: 2,
      load: args.sequential
        ? { sequential: Number(args.sms) }
        : { concurrency: Number(args.concurrency), count: Number(args.sms) },
      timeoutMs: 300_000,
      log,
    });
    // Let the projector and the workflows' last appends finish.
    await new Promise((r) => setTimeout(r, 5000));
    const cpuMsPerSms = Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [k, ((cpuSecondsOf(pid) - (cpuBefore[k] ?? 0)) * 1000) / result.answered]),
    );
    http.close();
    const { rows } = await pool.query<{ query: string; calls: string; ms: number; rows: string }>(
      `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls, total_exec_time AS ms, rows
         FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC`,
    );
    const n = result.answered;
    const totalMs = rows.reduce((s, r) => s + r.ms, 0);
    const totalCalls = rows.reduce((s, r) => s + Number(r.calls), 0);
    const top = rows.slice(0, Number(args.top)).map((r) => ({
      statement: r.query.slice(0, 150),
      callsPerSms: Number(r.calls) / n,
      msPerSms: r.ms / n,
      share: r.ms / totalMs,
    }));
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ answered: n, cpuMsPerSms, totalCalls, totalMs, top }, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${n} answered SMS (${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}): ` +
        `p50 ${result.latencyMs.p50} ms webhook to reply; ${fmt(totalCalls / n, 1)} statements and ${fmt(totalMs / n, 2)} ms of execution per SMS; CPU-ms per SMS ` +
        `${Object.entries(cpuMsPerSms)
          .map(([k, ms]) => `${k} ${fmt(ms)}`)
          .join(', ')} (${fmt(result.completedPerSecond)} SMS/s)\n\n`,
    );
    process.stdout.write(
      `${table(
        'Statements by execution time, per answered SMS',
        ['statement', 'calls/SMS', 'ms/SMS', 'share'],
        top.map((t) => [t.statement, fmt(t.callsPerSms, 2), fmt(t.msPerSms, 3), `${Math.round(t.share * 100)}%`]),
      )}\n`,
    );
  } finally {
    await pool.end();
    for (const role of roles.reverse()) await role.stop('SIGTERM').catch(() => undefined);
    await infra.close();
  }
}

main().catch((error) => {
  log(String(error?.stack ?? error));
  process.exitCode = 1;
});
