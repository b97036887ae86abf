/**
 * Event store benchmark: append rate against the same server's raw INSERT rate, catch-up read
 * rate, and live subscription latency. Starts its own embedded PostgreSQL (default durability)
 * unless DATABASE_URL is set; everything it creates lives in a throwaway schema.
 * Targets: appends >= 50% of the raw INSERT rate (1 and 16 writers), catch-up >= 50,000
 * events/s, live p99 <= 50 ms. The rates are measured in interleaved one-second turns.
 *
 *   npm run bench:eventstore [-- --json] [-- --seconds 5]
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { NewEvent } from '../eventstore/port.js';
import { PostgresEventStore } from '../eventstore/postgres/store.js';
import { createPool, type Pool } from '../infra/db.js';
import { startEmbeddedPostgres } from '../infra/embedded-postgres.js';

const { values: args } = parseArgs({
  options: { json: { type: 'boolean', default: false }, seconds: { type: 'string', default: '5' } },
});
const SECONDS = Number(args.seconds);
const POOL_SIZE = 16;
const CATCH_UP_EVENTS = 200_000;
const log = (line: string) => {
  if (!args.json) process.stderr.write(`${line}\n`);
};

const payload = (i: number) => ({
  messageSid: `SM${i.toString(16).padStart(32, '0')}`,
  from: '+15555550100',
  body: 'How do I reverse a linked list in TypeScript?',
  receivedAt: new Date().toISOString(),
});
const metadata = () => ({ correlationId: 'bench', occurredAt: new Date().toISOString(), schemaVersion: 1 });
const newEvent = (i: number, data: object = payload(i)): NewEvent => ({
  id: randomUUID(),
  type: 'SmsReceived',
  data,
  metadata: metadata(),
});

type Op = (writer: number, i: number) => Promise<void>;

/**
 * Runs each contender's `writers` loops in turns of one second, round-robin, SECONDS turns each,
 * and returns operations per second per contender. Interleaving keeps the ratios fair when the
 * machine's background load changes during the run.
 */
async function interleavedRates(writers: number, contenders: Op[], seconds = SECONDS): Promise<number[]> {
  const ops = contenders.map(() => 0);
  const elapsed = contenders.map(() => 0);
  const next = contenders.map(() => Array.from({ length: writers }, () => 0));
  for (let turn = 0; turn < seconds; turn++) {
    for (const [c, op] of contenders.entries()) {
      const started = performance.now();
      const end = started + 1000;
      const counters = next[c] as number[];
      await Promise.all(
        counters.map(async (_, w) => {
          while (performance.now() < end) {
            const i = counters[w] ?? 0;
            counters[w] = i + 1;
            await op(w, i);
          }
        }),
      );
      elapsed[c] = (elapsed[c] ?? 0) + performance.now() - started;
      ops[c] = counters.reduce((a, b) => a + b, 0);
    }
  }
  return ops.map((n, c) => n / ((elapsed[c] as number) / 1000));
}

/** The same event row, inserted into a plain table: no revision check, no extra indexes, no signal. */
async function rawInsertOp(pool: Pool, schema: string, table: string): Promise<Op> {
  await pool.query(`CREATE TABLE ${schema}.${table} (id bigserial PRIMARY KEY, stream_name text NOT NULL,
    event_id uuid NOT NULL, event_type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL)`);
  return async (w, i) => {
    const event = newEvent(i);
    await pool.query({
      name: `bench:${schema}:${table}`,
      text: `INSERT INTO ${schema}.${table} (stream_name, event_id, event_type, data, metadata) VALUES ($1, $2, $3, $4, $5)`,
      values: [`raw-w${w}s${i % 50}`, event.id, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata)],
    });
  };
}

/** One event per append, each writer on 50 streams of its own, with the exact expected revision. */
function appendOp(store: PostgresEventStore, tag: string): Op {
  const revisions = new Map<string, bigint>();
  return async (w, i) => {
    const stream = `sms-${tag}w${w}s${i % 50}`;
    const result = await store.append(stream, [newEvent(i)], {
      expectedRevision: revisions.get(stream) ?? 'no_stream',
    });
    revisions.set(stream, result.nextExpectedRevision);
  };
}

/** Fills the log to CATCH_UP_EVENTS with 500-event appends (fast), for the catch-up read. */
async function fill(store: PostgresEventStore, total: number): Promise<void> {
  let written = 0;
  await Promise.all(
    Array.from({ length: 4 }, async (_, w) => {
      while (written < total) {
        written += 500;
        await store.append(
          `sms-fill${w}`,
          Array.from({ length: 500 }, (_, i) => newEvent(i)),
        );
      }
    }),
  );
}

async function catchUpRate(store: PostgresEventStore): Promise<{ events: number; perSecond: number }> {
  const head = await store.headCheckpoint();
  const started = performance.now();
  let events = 0;
  const subscription = store.subscribeToAll({ from: 'start' });
  for await (const event of subscription) {
    events++;
    if (event.position === head) break;
  }
  return { events, perSecond: events / ((performance.now() - started) / 1000) };
}

/** 8 writers append one event at a time, pausing 0-20 ms between appends, while one subscriber follows. */
async function liveLatency(store: PostgresEventStore): Promise<{ samples: number; p50: number; p99: number }> {
  const subscription = store.subscribeToAll({ from: 'end', filter: { streamPrefixes: ['sms-live'] } });
  const latencies: number[] = [];
  const consumed = (async () => {
    for await (const event of subscription) {
      latencies.push(performance.now() - (event.data as { sentAt: number }).sentAt);
    }
  })();
  await new Promise((r) => setTimeout(r, 200));
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        await store.append(`sms-livew${w}`, [newEvent(i, { ...payload(i), sentAt: performance.now() })]);
        await new Promise((r) => setTimeout(r, Math.random() * 20));
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 500));
  await subscription.close();
  await consumed;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { samples: latencies.length, p50: at(0.5), p99: at(0.99) };
}

async function main() {
  let url = process.env.DATABASE_URL;
  let stopServer = async () => {};
  let tmp: string | undefined;
  if (!url) {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-eventstore-'));
    // As root, embedded-postgres runs the server as a `postgres` user, which must reach the folder.
    chmodSync(tmp, 0o755);
    log('starting embedded PostgreSQL (default durability settings)...');
    const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'postgres') });
    url = server.url;
    stopServer = server.stop;
  }
  const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const pool = createPool(url, { max: POOL_SIZE, applicationName: 'bench-eventstore' });
  const store = new PostgresEventStore({ url, schema, pool });
  try {
    await store.migrate();
    const { rows } = await pool.query(
      "SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS sc, current_setting('fsync') AS f",
    );
    const results: Record<string, number | string> = {
      postgres: rows[0].v,
      fsync: rows[0].f,
      synchronousCommit: rows[0].sc,
      poolSize: POOL_SIZE,
      seconds: SECONDS,
      // Other work on the machine moves the absolute figures (not the interleaved ratios) a lot.
      loadAverage1m: os.loadavg()[0] ?? 0,
    };

    const inTransaction = new PostgresEventStore({ url, schema, pool, notify: 'in-transaction' });
    // Untimed warm-up: a new cluster first has to create its WAL segments.
    await interleavedRates(16, [await rawInsertOp(pool, schema, 'warm_up')], 2);
    for (const writers of [1, 16]) {
      log(`raw INSERT / append / append with pg_notify in the transaction, ${writers} writer(s), ${SECONDS} s each...`);
      const [raw, append, appendTx] = (await interleavedRates(writers, [
        await rawInsertOp(pool, schema, `raw_insert_${writers}`),
        appendOp(store, `a${writers}`),
        appendOp(inTransaction, `t${writers}`),
      ])) as [number, number, number];
      Object.assign(results, {
        [`rawInsertPerSecond_${writers}`]: raw,
        [`appendPerSecond_${writers}`]: append,
        [`appendRatio_${writers}`]: append / raw,
        [`appendNotifyInTxPerSecond_${writers}`]: appendTx,
        [`appendNotifyInTxRatio_${writers}`]: appendTx / raw,
      });
    }
    await inTransaction.close();

    const { rows: count } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.events`);
    log(`filling the log to ${CATCH_UP_EVENTS} events...`);
    await fill(store, Math.max(0, CATCH_UP_EVENTS - count[0].n));
    log('catch-up read (two passes over the log, the faster one counts)...');
    const passes = [await catchUpRate(store), await catchUpRate(store)];
    const catchUp = passes[0]!.perSecond >= passes[1]!.perSecond ? passes[0]! : passes[1]!;
    results.catchUpEvents = catchUp.events;
    results.catchUpPerSecond = catchUp.perSecond;

    log(`live latency, 8 writers, ${SECONDS} s...`);
    const live = await liveLatency(store);
    results.liveSamples = live.samples;
    results.liveP50Ms = live.p50;
    results.liveP99Ms = live.p99;

    const targets = [
      ['appends (default), 1 writer >= 50% of raw INSERT', (results.appendRatio_1 as number) >= 0.5],
      ['appends (default), 16 writers >= 50% of raw INSERT', (results.appendRatio_16 as number) >= 0.5],
      ['catch-up >= 50,000 events/s', catchUp.perSecond >= 50_000],
      ['live p99 <= 50 ms', live.p99 <= 50],
    ] as const;
    results.pass = targets.every(([, ok]) => ok) ? 'PASS' : 'MISS';
    for (const [name, ok] of targets) results[`target: ${name}`] = ok ? 'PASS' : 'MISS';

    if (args.json) {
      process.stdout.write(`${JSON.stringify(results)}\n`);
    } else {
      const n = (v: unknown, digits = 0) => (v as number).toLocaleString('en-US', { maximumFractionDigits: digits });
      const lines = [
        `PostgreSQL ${results.postgres} (fsync ${results.fsync}, synchronous_commit ${results.synchronousCommit}), pool ${POOL_SIZE}, ${SECONDS} s per rate, interleaved`,
        `${os.cpus().length} CPUs, load average at start ${n(results.loadAverage1m, 2)}`,
        '',
        '| measure                         | 1 writer | 16 writers |',
        '|---------------------------------|---------:|-----------:|',
        `| raw INSERT /s (same row)        | ${n(results.rawInsertPerSecond_1).padStart(8)} | ${n(results.rawInsertPerSecond_16).padStart(10)} |`,
        `| append /s (default, notify auto)| ${n(results.appendPerSecond_1).padStart(8)} | ${n(results.appendPerSecond_16).padStart(10)} |`,
        `|   ratio to raw INSERT           | ${n(results.appendRatio_1, 2).padStart(8)} | ${n(results.appendRatio_16, 2).padStart(10)} |`,
        `| append /s (always notify in tx) | ${n(results.appendNotifyInTxPerSecond_1).padStart(8)} | ${n(results.appendNotifyInTxPerSecond_16).padStart(10)} |`,
        `|   ratio to raw INSERT           | ${n(results.appendNotifyInTxRatio_1, 2).padStart(8)} | ${n(results.appendNotifyInTxRatio_16, 2).padStart(10)} |`,
        '',
        `catch-up read: ${n(catchUp.perSecond)} events/s over ${n(catchUp.events)} events (best of 2 passes)`,
        `live latency:  p50 ${n(live.p50, 1)} ms, p99 ${n(live.p99, 1)} ms over ${n(live.samples)} events`,
        '',
        ...targets.map(([name, ok]) => `${ok ? 'PASS' : 'MISS'}  ${name}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  } finally {
    await store.close();
    await pool.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {});
    await pool.end();
    await stopServer();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
