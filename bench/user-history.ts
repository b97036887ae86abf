/**
 * Per-SMS cost of a user's state against the length of their history (issue #18, "cost flat in
 * a user's history"). For users with 0, 1,000 and 10,000 earlier UsageRecorded this month, times
 * the fold alone, one full read of `user-<phone>`, and the user-state work of one answered SMS
 * (the reads its activities make plus the quota decision). Starts its own embedded PostgreSQL
 * unless DATABASE_URL is set; everything lives in a throwaway schema.
 *
 *   node --import tsx bench/user-history.ts [--reps 5]
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { appendEvents, asDomain, readStreamOrEmpty } from '../activities/event-log.js';
import { createUserStateReader } from '../activities/user-state-reader.js';
import { userStream } from '../domain/events/envelope.js';
import type { UserEvent } from '../domain/user/events.js';
import { decideUsage, defaultQuotaPolicy } from '../domain/user/quota.js';
import { USER_SNAPSHOT_VERSION } from '../domain/user/snapshot.js';
import { userStateFrom } from '../domain/user/state.js';
import { createEventStore, migrateEventStore } from '../eventstore/index.js';
import type { EventStore } from '../eventstore/port.js';
import { startEmbeddedPostgres } from '../infra/embedded-postgres.js';

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '5' } } });
const REPS = Number(args.reps);
const SIZES = [0, 1_000, 10_000];
/** Reads of the user stream by one answered SMS: recordReceived, checkRateLimit, generateAnswer, sendReply. */
const READS_PER_SMS = 4;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
async function timed(fn: () => unknown | Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

async function seedUser(store: EventStore, phone: string, earlier: number, now: Date) {
  const c = { correlationId: `seed-${phone}`, round: 0, now };
  await appendEvents(
    store,
    userStream(phone),
    [{ type: 'UserRegistered', step: 'r', data: { phone, tier: 'premium', registeredAt: now.toISOString() } }],
    c,
  );
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const span = now.getTime() - monthStart;
  for (let i = 0; i < earlier; i += 1000) {
    const drafts = Array.from({ length: Math.min(1000, earlier - i) }, (_, j) => {
      const k = i + j;
      const at = new Date(monthStart + Math.floor((span * k) / earlier)).toISOString();
      return { type: 'UsageRecorded' as const, step: `u${k}`, data: { messageSid: `SMseed${k}`, at } };
    });
    await appendEvents(store, userStream(phone), drafts, c);
  }
}

/** The activities' reader today: the whole stream, folded from the start. */
async function readFull(store: EventStore, phone: string) {
  const { events, revision } = await readStreamOrEmpty(store, userStream(phone));
  return { state: userStateFrom(events.map(asDomain) as UserEvent[]), revision };
}

async function main() {
  let url = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-user-history-'));
  if (!url) {
    chmodSync(tmp, 0o755);
    const pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'postgres') });
    url = pg.url;
    stop = pg.stop;
  }
  const schema = `bench_user_${randomUUID().slice(0, 8)}`;
  await migrateEventStore({ url, schema });
  const store = createEventStore({ url, schema });
  const now = new Date();
  const rows: Record<string, string | number>[] = [];
  try {
    for (const size of SIZES) {
      const phone = `+1415555${String(size).padStart(4, '0')}`;
      await seedUser(store, phone, size, now);
      const { events } = await readStreamOrEmpty(store, userStream(phone));
      const domain = events.map(asDomain) as UserEvent[];
      const fold = await timed(() => userStateFrom(domain));
      const read = await timed(() => store.readStream(userStream(phone)));
      const { state } = await readFull(store, phone);
      const decide = await timed(() => decideUsage(state, { messageSid: 'SMnew', now, policy: defaultQuotaPolicy }));
      const perSmsFull = await timed(async () => {
        for (let i = 0; i < READS_PER_SMS; i++) await readFull(store, phone);
        decideUsage(state, { messageSid: 'SMnew', now, policy: defaultQuotaPolicy });
      });
      // The activities' reader: a cold read (a new worker) folds the stream whole when there is no
      // snapshot, else the snapshot and what came after it; later reads only what came since.
      const bare: EventStore = Object.create(store, { snapshots: { value: undefined } });
      const coldWhole = await timed(() => createUserStateReader(bare)(phone));
      await createUserStateReader(store)(phone); // takes the snapshot, when 500 events or more
      const snapshot = await store.snapshots?.read(userStream(phone), USER_SNAPSHOT_VERSION);
      const coldSnapshot = await timed(() => createUserStateReader(store)(phone));
      const reader = createUserStateReader(store);
      await reader(phone);
      const perSmsKept = await timed(async () => {
        for (let i = 0; i < READS_PER_SMS; i++) await reader(phone);
        decideUsage(state, { messageSid: 'SMnew', now, policy: defaultQuotaPolicy });
      });
      rows.push({
        earlier: size,
        'fold ms': fold.toFixed(2),
        'read ms': read.toFixed(2),
        'decide ms': decide.toFixed(3),
        'per SMS (full reads) ms': perSmsFull.toFixed(2),
        'cold read ms': coldWhole.toFixed(2),
        'snapshot KB': snapshot ? (Buffer.byteLength(snapshot.state) / 1024).toFixed(0) : '-',
        'cold read from snapshot ms': snapshot ? coldSnapshot.toFixed(2) : '-',
        'per SMS (reader) ms': perSmsKept.toFixed(2),
      });
    }
  } finally {
    await store.close();
    await stop?.();
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${REPS} reps, medians`,
  );
  console.table(rows);
}

await main();
