import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore, type PostgresEventStoreOptions } from '../../eventstore/postgres/store.js';
import { createTestDatabase } from '../support/database.js';
import { collect, eventStoreContract, testEvent } from './contract.js';

let database: { url: string; drop: () => Promise<void> };
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase('es');
  pool = new pg.Pool({ connectionString: database.url, max: 20 });
  // The backend-termination test kills this pool's idle connections too.
  pool.on('error', () => {});
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

/**
 * Each test gets its own schema, so the global log holds only that test's events. A small scan
 * window makes every subscription cross many batch boundaries (and prefetches).
 */
async function freshStore(
  options: Partial<PostgresEventStoreOptions> = {},
): Promise<{ store: PostgresEventStore; cleanup: () => Promise<void> }> {
  const schema = `es_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const store = new PostgresEventStore({
    url: database.url,
    schema,
    pool,
    subscription: { batchSize: 100 },
    ...options,
  });
  await store.migrate();
  return { store, cleanup: () => pool.query(`DROP SCHEMA ${schema} CASCADE`).then(() => {}) };
}

eventStoreContract('postgres', {
  create: () => freshStore(),
  stressRepeat: Number(process.env.EVENTSTORE_STRESS_REPEAT ?? 1),
});

describe('postgres event store', () => {
  it('given a migrated schema, when migrate runs again from 4 places at once, then nothing fails', async () => {
    const { store, cleanup } = await freshStore();
    await Promise.all(Array.from({ length: 4 }, () => store.migrate()));
    await store.close();
    await cleanup();
  });

  it('given an append, then its position is the checkpoint of its last event', async () => {
    const { store, cleanup } = await freshStore();
    const result = await store.append('sms-1', [testEvent(), testEvent()]);
    const [, last] = await store.readStream('sms-1');
    expect(result.position).toBe(last?.position);
    await expect(store.readAll({ from: 'nonsense' })).rejects.toThrow(/checkpoint/);
    await store.close();
    await cleanup();
  });

  it('given a transaction that appended and is still open, when a later one commits, then the subscriber waits and skips nothing', async () => {
    const { store, cleanup } = await freshStore();
    const subscription = store.subscribeToAll();
    const seen = collect(subscription, (e) => e.length === 2);
    // T1 takes the lower transaction id and position, then commits last: the case that makes a
    // position-only cursor skip T1's event.
    const t1 = await pool.connect();
    await t1.query('BEGIN');
    await t1.query(
      `INSERT INTO ${store.names.events} (stream_name, stream_revision, event_id, event_type, data, metadata)
       VALUES ('slow-1', 0, $1, 'Slow', '{}', '{}')`,
      [randomUUID()],
    );
    await store.append('fast-1', [testEvent('Fast')]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.readAll()).toEqual([]); // held back above the horizon
    expect(await store.headCheckpoint()).toBeUndefined();
    await t1.query('COMMIT');
    t1.release();
    expect((await seen).map((e) => e.type)).toEqual(['Slow', 'Fast']);
    await subscription.close();
    await store.close();
    await cleanup();
  });

  it('given a live subscriber, when every backend of the database is terminated, then it goes on delivering', async () => {
    const { store, cleanup } = await freshStore();
    const subscription = store.subscribeToAll();
    const seen: string[] = [];
    const done = (async () => {
      for await (const event of subscription) {
        seen.push(event.type);
        if (seen.length === 2) return;
      }
    })();
    await store.append('sms-1', [testEvent('Before')]);
    while (seen.length < 1) await new Promise((r) => setTimeout(r, 20));
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const { rows } = await admin.query(
      'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    await admin.end();
    expect(rows[0].n).toBeGreaterThan(0);
    // The pool hands out fresh connections; the first append may still meet a dead one.
    for (let attempt = 0; ; attempt++) {
      try {
        await store.append('sms-1', [testEvent('After')]);
        break;
      } catch (error) {
        if (attempt > 5) throw error;
      }
    }
    await done;
    expect(seen).toEqual(['Before', 'After']);
    await store.close();
    await cleanup();
  });

  it.each(['in-transaction', 'after-commit', 'auto'] as const)(
    'given notify mode %s, when events are appended, then a live subscriber is woken long before its fallback poll',
    async (notify) => {
      const { store, cleanup } = await freshStore({ notify, subscription: { fallbackPollMs: 30_000 } });
      const subscription = store.subscribeToAll({ from: 'end' });
      const seen = collect(subscription, (e) => e.length === 3, 10_000);
      // Live first: its LISTEN session up and 'end' resolved by a first poll (a fixed 200 ms sleep
      // was not always enough with other test files loading the machine).
      const ready = Date.now() + 10_000;
      while (!(store.listening && store.polls.counts.answered > 0) && Date.now() < ready)
        await new Promise((r) => setTimeout(r, 10));
      const sent = Date.now();
      await Promise.all([1, 2, 3].map((n) => store.append(`sms-${n}`, [testEvent()])));
      expect(await seen).toHaveLength(3);
      expect(Date.now() - sent).toBeLessThan(2_000);
      await subscription.close();
      await store.close();
      await cleanup();
    },
  );

  it('given a narrow filter and many unmatched events, then a subscription scans past them and delivers the match', async () => {
    const { store, cleanup } = await freshStore({ subscription: { batchSize: 10 } });
    for (let i = 0; i < 5; i++)
      await store.append(
        `noise-${i}`,
        Array.from({ length: 50 }, () => testEvent('Noise')),
      );
    await store.append('wanted-1', [testEvent('Wanted')]);
    const subscription = store.subscribeToAll({ filter: { eventTypes: ['Wanted'] } });
    const seen = await collect(subscription, (e) => e.length === 1);
    expect(seen.map((e) => e.streamName)).toEqual(['wanted-1']);
    await subscription.close();
    await store.close();
    await cleanup();
  });

  it('given a narrow filter, then deliveredTo passes unmatched events but never an event the consumer has not taken', async () => {
    const { store, cleanup } = await freshStore({ subscription: { batchSize: 10 } });
    await store.append('noise-a', [testEvent('Noise'), testEvent('Noise')]);
    const wanted = await store.append('wanted-1', [testEvent('Wanted')]);
    await store.append(
      'noise-b',
      Array.from({ length: 25 }, () => testEvent('Noise')),
    );
    const subscription = store.subscribeToAll({ filter: { eventTypes: ['Wanted'] } });
    const order = (c: string | undefined) => (c === undefined ? [-1n, -1n] : c.split(':').map(BigInt));
    const notAfter = (a: string | undefined, b: string) => {
      const [x, y] = order(a) as [bigint, bigint];
      const [u, v] = order(b) as [bigint, bigint];
      return x < u || (x === u && y <= v);
    };

    // When the consumer has taken the match but not asked for more
    const iterator = subscription[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.streamName).toBe('wanted-1');
    // Then the position is not past it (the consumer may not have dealt with it yet)
    expect(notAfter(subscription.deliveredTo?.(), first.value?.position as string)).toBe(true);
    expect(first.value?.position).toBe(wanted.position);

    // When it asks for the next, then the position moves past the 25 unmatched events to the head
    const next = iterator.next();
    const head = (await store.headCheckpoint()) as string;
    const deadline = Date.now() + 10_000;
    while (subscription.deliveredTo?.() !== head && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(subscription.deliveredTo?.()).toBe(head);
    await subscription.close();
    await next;
    await store.close();
    await cleanup();
  });

  it('given subscriptions with different filters polling together, then they share one query per wake-up and each gets exactly its events', async () => {
    const { store, cleanup } = await freshStore({ subscription: { batchSize: 10 } });
    const filters = [
      undefined,
      { eventTypes: ['A'] },
      { eventTypes: ['B', 'C'] },
      { streamPrefixes: ['user-'] },
      { streamPrefixes: ['sms-', 'user-'], eventTypes: ['A'] },
      // LIKE's wildcards are literal in a prefix, in SQL and in the shared poll's filter alike.
      { streamPrefixes: ['odd_%'] },
    ];
    const streams = ['sms-1', 'user-1', 'odd_%x', 'oddXYx', 'other'];
    const types = ['A', 'B', 'C', 'D'];
    const total = 25;
    const plan = Array.from({ length: total }, (_, round) =>
      streams.map((stream, i) => ({ stream, type: types[(round + i) % types.length] as string, round })),
    );
    const appendRound = async (round: number) => {
      for (const w of plan[round] ?? []) await store.append(w.stream, [testEvent(w.type, { round })]);
    };
    const expected = (f: (typeof filters)[number]) =>
      plan
        .flat()
        .filter(
          (w) =>
            (!f?.streamPrefixes || f.streamPrefixes.some((p) => w.stream.startsWith(p))) &&
            (!f?.eventTypes || f.eventTypes.includes(w.type)),
        );
    // Some before the subscriptions start (catch-up), the rest while they follow live.
    for (let round = 0; round < 5; round++) await appendRound(round);
    const subscriptions = filters.map((filter) => store.subscribeToAll({ filter }));
    const seen = subscriptions.map((s, k) => collect(s, (e) => e.length >= expected(filters[k]).length));
    const before = { ...store.polls.counts };
    for (let round = 5; round < total; round++) await appendRound(round);
    const got = await Promise.all(seen);
    for (const [k, events] of got.entries()) {
      expect(events.map((e) => [e.streamName, e.type])).toEqual(expected(filters[k]).map((w) => [w.stream, w.type]));
    }
    const queries = store.polls.counts.queries - before.queries;
    const answered = store.polls.counts.answered - before.answered;
    // Six subscriptions woken by each append: without sharing, one query per answered poll.
    expect(answered).toBeGreaterThan(0);
    expect(queries).toBeLessThan(answered / 2);
    for (const s of subscriptions) await s.close();
    await store.close();
    await cleanup();
  });

  it('given appends faster than the poll spacing, then one query covers several appends; after a quiet spell the next append is polled at once', async () => {
    // Wide enough that a loaded machine's own delays stay well inside it; no fallback polls (every
    // second by default), which would make the quiet spell below not quiet: a wake within a spacing
    // of any poll waits for the spacing, by design.
    const spacing = 500;
    const { store, cleanup } = await freshStore({
      subscription: { minPollIntervalMs: spacing, fallbackPollMs: 60_000 },
    });
    const subscription = store.subscribeToAll({ filter: { eventTypes: ['A'] } });
    const seen = collect(subscription, (e) => e.length >= 41);
    // Caught up and idle first.
    await store.append('warm-up', [testEvent('A', {})]);
    const deadline = Date.now() + 10_000;
    while (store.polls.counts.answered === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, spacing * 2));

    // When: 40 appends, each waking the subscription (its own process: at once, and by NOTIFY)
    const before = store.polls.counts.queries;
    const started = Date.now();
    for (let i = 0; i < 40; i++) await store.append(`burst-${i}`, [testEvent('A', { i })]);
    const events = await seen;
    const took = Date.now() - started;

    // Then: every event arrives, with at most one query per spacing (and the one at the start)
    expect(events).toHaveLength(41);
    const queries = store.polls.counts.queries - before;
    expect(queries).toBeGreaterThan(0);
    expect(queries).toBeLessThanOrEqual(Math.ceil(took / spacing) + 1);

    // When: quiet for longer than the spacing, one more append
    await new Promise((r) => setTimeout(r, spacing * 2));
    const more = store.subscribeToAll({ from: (await store.headCheckpoint()) as string });
    const one = collect(more, (e) => e.length >= 1);
    await new Promise((r) => setTimeout(r, spacing * 2));
    const at = Date.now();
    await store.append('after-quiet', [testEvent('B', {})]);
    await one;

    // Then: it is delivered well inside one spacing
    expect(Date.now() - at).toBeLessThan(spacing / 2);
    await subscription.close();
    await more.close();
    await store.close();
    await cleanup();
  });
});
