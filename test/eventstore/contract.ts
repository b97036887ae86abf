import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type EventFilter,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  StreamNotFoundError,
  type Subscription,
  WrongExpectedVersionError,
} from '../../eventstore/port.js';

/**
 * The behaviour every EventStore adapter must have. Each test works in streams of its own
 * (a random prefix), so the suite also runs against a shared server whose log holds other events.
 */
export interface ContractOptions {
  /** A fresh store for one test; `cleanup` runs after it. */
  create: () => Promise<{ store: EventStore; cleanup?: () => Promise<void> }>;
  /** How many times the concurrent-writers stress test runs (EVENTSTORE_STRESS_REPEAT, default 1). */
  stressRepeat?: number;
}

export const testEvent = (type = 'Tested', data: unknown = { n: 1 }, id = randomUUID()): NewEvent => ({
  id,
  type,
  data,
  metadata: { correlationId: 'contract', occurredAt: new Date().toISOString(), schemaVersion: 1 },
});

const events = (n: number, type = 'Tested') => Array.from({ length: n }, (_, i) => testEvent(type, { i }));

/** Collects events from a subscription until `until` holds, or fails after `timeoutMs`. */
export async function collect(
  subscription: Subscription,
  until: (seen: RecordedEvent[]) => boolean,
  timeoutMs = 15_000,
): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  const timer = setTimeout(() => void subscription.close(), timeoutMs);
  try {
    if (until(seen)) return seen;
    for await (const event of subscription) {
      seen.push(event);
      if (until(seen)) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (!until(seen)) throw new Error(`subscription ended after ${seen.length} events without meeting its condition`);
  return seen;
}

/**
 * Resolves once readAll shows the log up to `position`. The PostgreSQL store shows only events
 * below every transaction still open in the cluster (its horizon, which keeps the order stable
 * for checkpoints), so another test file's open transaction can hide fresh appends for a moment.
 */
async function untilReadAllReaches(store: EventStore, position: string | undefined): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [head] = await store.readAll({ direction: 'backwards', maxCount: 1 });
    if (head?.position === position) return;
    if (Date.now() > deadline) throw new Error(`readAll did not reach ${position} within 10 s`);
    await sleep(20);
  }
}

async function expectConflict(promise: Promise<unknown>, actual: bigint | 'no_stream') {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WrongExpectedVersionError);
  expect((error as WrongExpectedVersionError).actual).toBe(actual);
}

export function eventStoreContract(name: string, options: ContractOptions): void {
  describe(`${name}: event store contract`, () => {
    let store: EventStore;
    let cleanup: (() => Promise<void>) | undefined;
    let prefix: string;
    const stream = (suffix = randomUUID().slice(0, 8)) => `${prefix}-${suffix}`;

    beforeEach(async () => {
      ({ store, cleanup } = await options.create());
      prefix = `t${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    describe('expected revisions', () => {
      it('given no stream, when appending with no_stream, then revisions start at 0', async () => {
        const s = stream();
        const result = await store.append(s, events(3), { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(2n);
        expect(result.position).toBeDefined();
        const read = await store.readStream(s);
        expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(read.map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
        expect(read[0]?.streamName).toBe(s);
        expect(read[0]?.recordedAt).toBeInstanceOf(Date);
      });

      it('given a stream, when appending with no_stream, then the append is rejected', async () => {
        const s = stream();
        await store.append(s, events(2), { expectedRevision: 'no_stream' });
        await expectConflict(store.append(s, events(1), { expectedRevision: 'no_stream' }), 1n);
        expect(await store.readStream(s)).toHaveLength(2);
      });

      it('given a stream at revision 1, when appending at 1 then again at 1, then the second is rejected', async () => {
        const s = stream();
        await store.append(s, events(2));
        const ok = await store.append(s, events(1), { expectedRevision: 1n });
        expect(ok.nextExpectedRevision).toBe(2n);
        await expectConflict(store.append(s, events(1), { expectedRevision: 1n }), 2n);
      });

      it('given no stream, when appending at an exact revision, then it is rejected as no_stream', async () => {
        await expectConflict(store.append(stream(), events(1), { expectedRevision: 0n }), 'no_stream');
      });

      it('stream_exists: rejected without a stream, accepted with one', async () => {
        const s = stream();
        await expectConflict(store.append(s, events(1), { expectedRevision: 'stream_exists' }), 'no_stream');
        await store.append(s, events(1), { expectedRevision: 'no_stream' });
        const result = await store.append(s, events(2), { expectedRevision: 'stream_exists' });
        expect(result.nextExpectedRevision).toBe(2n);
      });

      it('any: appends whatever the state, and defaults to it', async () => {
        const s = stream();
        expect((await store.append(s, events(1), { expectedRevision: 'any' })).nextExpectedRevision).toBe(0n);
        expect((await store.append(s, events(2))).nextExpectedRevision).toBe(2n);
      });

      it('given 10 writers expecting the same revision, when they race, then exactly one wins', async () => {
        const s = stream();
        await store.append(s, events(1));
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () => store.append(s, events(1), { expectedRevision: 0n })),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results.filter((r) => r.status === 'rejected')) {
          expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
        }
        expect(await store.readStream(s)).toHaveLength(2);
      });
    });

    describe('idempotent appends', () => {
      it.each<[string, ExpectedRevision]>([
        ['no_stream', 'no_stream'],
        ['an exact revision', 0n],
        ['any', 'any'],
        ['stream_exists', 'stream_exists'],
      ])(
        'given events appended with %s, when the same ids are appended again, then nothing changes',
        async (_, expectedRevision) => {
          const s = stream();
          const head =
            typeof expectedRevision === 'bigint' || expectedRevision === 'stream_exists' ? [testEvent()] : [];
          if (head.length) await store.append(s, head);
          const batch = events(3);
          const first = await store.append(s, batch, { expectedRevision });
          const again = await store.append(s, batch, { expectedRevision });
          expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
          expect((await store.readStream(s)).map((e) => e.id)).toEqual([...head, ...batch].map((e) => e.id));
        },
      );

      it('given a stream that moved on, when an earlier append is retried at its revision, then it is a no-op', async () => {
        const s = stream();
        await store.append(s, events(1), { expectedRevision: 'no_stream' });
        const batch = events(2);
        const first = await store.append(s, batch, { expectedRevision: 0n });
        await store.append(s, events(1), { expectedRevision: first.nextExpectedRevision });
        const retried = await store.append(s, batch, { expectedRevision: 0n });
        expect(retried.nextExpectedRevision).toBe(2n);
        expect(await store.readStream(s)).toHaveLength(4);
      });

      it('given events appended with any, when the ids are appended again with any, then nothing is added', async () => {
        const s = stream();
        const batch = events(2);
        await store.append(s, events(1));
        await store.append(s, batch);
        await store.append(s, events(1));
        await store.append(s, batch, { expectedRevision: 'any' });
        expect(await store.readStream(s)).toHaveLength(4);
      });

      it('given events, when the same ids are appended at another revision, then it is a conflict', async () => {
        const s = stream();
        const batch = events(2);
        await store.append(s, batch, { expectedRevision: 'no_stream' });
        await expectConflict(store.append(s, batch, { expectedRevision: 5n }), 1n);
      });

      it('given 8 concurrent appends of the same ids, when they race, then all succeed and the events exist once', async () => {
        for (const expected of ['any', 'no_stream'] as const) {
          const s = stream();
          const batch = events(3);
          const results = await Promise.all(
            Array.from({ length: 8 }, () => store.append(s, batch, { expectedRevision: expected })),
          );
          expect(results.map((r) => r.nextExpectedRevision)).toEqual(Array(8).fill(2n));
          expect((await store.readStream(s)).map((e) => e.id)).toEqual(batch.map((e) => e.id));
        }
      });
    });

    describe('reading a stream', () => {
      it('reads forwards and backwards, from a revision, with a maximum count', async () => {
        const s = stream();
        await store.append(s, events(5));
        const revisions = async (o: Parameters<EventStore['readStream']>[1]) =>
          (await store.readStream(s, o)).map((e) => Number(e.revision));
        expect(await revisions({})).toEqual([0, 1, 2, 3, 4]);
        expect(await revisions({ direction: 'backwards' })).toEqual([4, 3, 2, 1, 0]);
        expect(await revisions({ fromRevision: 2n, maxCount: 2 })).toEqual([2, 3]);
        expect(await revisions({ direction: 'backwards', fromRevision: 2n })).toEqual([2, 1, 0]);
        expect(await revisions({ direction: 'backwards', maxCount: 1 })).toEqual([4]);
        expect(await revisions({ fromRevision: 9n })).toEqual([]);
      });

      it('given no stream, when reading it, then StreamNotFoundError', async () => {
        await expect(store.readStream(stream())).rejects.toBeInstanceOf(StreamNotFoundError);
      });
    });

    describe('reading all', () => {
      it('reads the log forwards and backwards from a checkpoint, in one order', async () => {
        const before = await store.headCheckpoint();
        const a = stream('a');
        const b = stream('b');
        await store.append(a, events(2));
        await store.append(b, events(2));
        const last = await store.append(a, events(1));
        await untilReadAllReaches(store, last.position);
        const forwards = await store.readAll({ from: before, maxCount: 100 });
        const mine = forwards.filter((e) => e.streamName.startsWith(prefix));
        expect(mine.map((e) => `${e.streamName}@${e.revision}`)).toEqual([
          `${a}@0`,
          `${a}@1`,
          `${b}@0`,
          `${b}@1`,
          `${a}@2`,
        ]);
        expect(await store.headCheckpoint()).toBe(last.position);
        const backwards = await store.readAll({ direction: 'backwards', maxCount: 5 });
        expect(backwards.map((e) => e.id)).toEqual(
          mine
            .map((e) => e.id)
            .slice()
            .reverse(),
        );
        const afterSecond = await store.readAll({ from: mine[1]?.position, maxCount: 2 });
        expect(afterSecond.map((e) => e.id)).toEqual([mine[2]?.id, mine[3]?.id]);
        const beforeFourth = await store.readAll({ direction: 'backwards', from: mine[3]?.position, maxCount: 2 });
        expect(beforeFourth.map((e) => e.id)).toEqual([mine[2]?.id, mine[1]?.id]);
      });

      it('filters by stream prefix and by event type', async () => {
        await store.append(stream('x-1'), [testEvent('Alpha'), testEvent('Beta')]);
        await store.append(stream('y-1'), [testEvent('Alpha'), testEvent('Gamma')]);
        const last = await store.append(`other${prefix}-1`, [testEvent('Alpha')]);
        await untilReadAllReaches(store, last.position);
        const read = (filter: EventFilter) => store.readAll({ filter, maxCount: 100 });
        const byPrefix = await read({ streamPrefixes: [`${prefix}-x`] });
        expect(byPrefix.map((e) => e.type)).toEqual(['Alpha', 'Beta']);
        const byBoth = await read({ streamPrefixes: [`${prefix}-`], eventTypes: ['Alpha', 'Gamma'] });
        expect(byBoth.map((e) => `${e.streamName.slice(prefix.length + 1)}:${e.type}`)).toEqual([
          'x-1:Alpha',
          'y-1:Alpha',
          'y-1:Gamma',
        ]);
        const twoPrefixes = await read({ streamPrefixes: [`${prefix}-y`, `other${prefix}`] });
        expect(twoPrefixes).toHaveLength(3);
        const byType = (await read({ eventTypes: ['Beta', 'Gamma'] })).filter((e) => e.streamName.includes(prefix));
        expect(byType.map((e) => e.type)).toEqual(['Beta', 'Gamma']);
        const alphas = await read({ streamPrefixes: [`${prefix}-`], eventTypes: ['Alpha'] });
        expect(alphas.map((e) => e.type)).toEqual(['Alpha', 'Alpha']);
      });
    });

    describe('subscribing to all', () => {
      it('catches up from a checkpoint, then follows live appends', async () => {
        const from = await store.headCheckpoint();
        const s = stream();
        await store.append(s, events(5));
        const subscription = store.subscribeToAll({ from, filter: { streamPrefixes: [prefix] } });
        const seen: RecordedEvent[] = [];
        const done = (async () => {
          for await (const event of subscription) {
            seen.push(event);
            if (seen.length === 5) await store.append(s, events(3));
            if (seen.length === 8) break;
          }
        })();
        await done;
        expect(seen.map((e) => Number(e.revision))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        // Resuming from a delivered event's position continues right after it.
        const resumed = store.subscribeToAll({ from: seen[5]?.position, filter: { streamPrefixes: [prefix] } });
        const rest = await collect(resumed, (e) => e.length === 2);
        expect(rest.map((e) => e.id)).toEqual([seen[6]?.id, seen[7]?.id]);
        await resumed.close();
      });

      it('starts at the end when asked, and only sees later events', async () => {
        const s = stream();
        await store.append(s, events(2));
        // 'end' is the head the store can show: wait until it shows these (see untilReadAllReaches)
        await untilReadAllReaches(store, (await store.readStream(s)).at(-1)?.position);
        const subscription = store.subscribeToAll({ from: 'end', filter: { streamPrefixes: [prefix] } });
        const seen = collect(subscription, (e) => e.length === 1);
        await new Promise((r) => setTimeout(r, 300));
        await store.append(s, [testEvent('Later')]);
        expect((await seen).map((e) => e.type)).toEqual(['Later']);
        await subscription.close();
      });

      it('delivers only what the filter matches, by prefix and by type', async () => {
        const from = await store.headCheckpoint();
        const byPrefix = store.subscribeToAll({ from, filter: { streamPrefixes: [`${prefix}-keep`] } });
        const byType = store.subscribeToAll({ from, filter: { streamPrefixes: [prefix], eventTypes: ['Kept'] } });
        const seenPrefix = collect(byPrefix, (e) => e.length === 2);
        const seenType = collect(byType, (e) => e.length === 2);
        await store.append(stream('drop-1'), [testEvent('Kept'), testEvent('Dropped')]);
        await store.append(stream('keep-1'), [testEvent('Dropped'), testEvent('Dropped')]);
        await store.append(stream('drop-2'), [testEvent('Kept')]);
        expect((await seenPrefix).map((e) => e.streamName)).toEqual([stream('keep-1'), stream('keep-1')]);
        expect((await seenType).map((e) => e.streamName)).toEqual([stream('drop-1'), stream('drop-2')]);
        await byPrefix.close();
        await byType.close();
      });

      it('ends cleanly when closed while waiting for events', async () => {
        const subscription = store.subscribeToAll({ from: 'end', filter: { streamPrefixes: [prefix] } });
        const iterator = subscription[Symbol.asyncIterator]();
        const next = iterator.next();
        await new Promise((r) => setTimeout(r, 200));
        await subscription.close();
        await expect(next).resolves.toEqual({ done: true, value: undefined });
      });

      it('ends cleanly when its signal aborts, and at once when already aborted', async () => {
        const controller = new AbortController();
        await store.append(stream(), events(3));
        const subscription = store.subscribeToAll({ filter: { streamPrefixes: [prefix] }, signal: controller.signal });
        const seen: RecordedEvent[] = [];
        for await (const event of subscription) {
          seen.push(event);
          if (seen.length === 1) controller.abort();
        }
        expect(seen).toHaveLength(1);

        const aborted = store.subscribeToAll({ signal: AbortSignal.abort() });
        const all: RecordedEvent[] = [];
        for await (const event of aborted) all.push(event);
        expect(all).toEqual([]);
      });
    });

    const repeat = options.stressRepeat ?? 1;
    for (let round = 1; round <= repeat; round++) {
      it(`stress ${round}/${repeat}: 8 concurrent writers x 500 events, a live subscriber sees every event once, in one order`, {
        timeout: 120_000,
      }, async () => {
        await stress(store, prefix);
      });
    }
  });
}

/**
 * 8 writers append 500 events each (batches of 1 to 5, over 20 streams each, with exact
 * expected revisions on some streams and 'any' on others) while a live subscriber runs.
 */
async function stress(store: EventStore, prefix: string): Promise<void> {
  const WRITERS = 8;
  const PER_WRITER = 500;
  const from = await store.headCheckpoint();
  const filter = { streamPrefixes: [`${prefix}-`] };
  // Two live subscribers: one filtered by the store, one unfiltered that keeps our events itself.
  const live = store.subscribeToAll({ from, filter });
  const liveAll = store.subscribeToAll({ from });
  const seen: RecordedEvent[] = [];
  const seenAll: RecordedEvent[] = [];
  const consumed = Promise.all([
    (async () => {
      for await (const event of live) seen.push(event);
    })(),
    (async () => {
      for await (const event of liveAll) if (event.streamName.startsWith(`${prefix}-`)) seenAll.push(event);
    })(),
  ]);

  const appended = new Set<string>();
  const writer = async (w: number) => {
    const revisions = new Map<string, bigint>();
    let written = 0;
    let batchNo = 0;
    while (written < PER_WRITER) {
      const size = Math.min(1 + ((batchNo * 7 + w) % 5), PER_WRITER - written);
      const s = `${prefix}-w${w}s${(batchNo * 3 + w) % 20}`;
      const batch = Array.from({ length: size }, (_, i) => testEvent('Stressed', { w, n: written + i }));
      // Odd streams check the exact revision, as the app does for decisions; the rest append with 'any'.
      const exact = Number(s.slice(s.lastIndexOf('s') + 1)) % 2 === 1;
      const expectedRevision = exact ? (revisions.get(s) ?? 'no_stream') : 'any';
      const result = await store.append(s, batch, { expectedRevision });
      revisions.set(s, result.nextExpectedRevision);
      for (const e of batch) appended.add(e.id);
      written += size;
      batchNo++;
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

  // What was committed, in the store's order, read page by page; as in untilReadAllReaches, another
  // test file's open transaction can hide the last appends for a moment, so read until all show.
  let committed: RecordedEvent[] = [];
  for (const deadline = Date.now() + 10_000; committed.length < appended.size && Date.now() < deadline; ) {
    committed = [];
    for (let cursor = from; ; ) {
      const page = await store.readAll({ from: cursor, maxCount: 997, filter });
      if (page.length === 0) break;
      committed.push(...page);
      cursor = page.at(-1)?.position;
    }
    if (committed.length < appended.size) await sleep(50);
  }
  expect(committed).toHaveLength(appended.size);
  expect(committed.every((e) => appended.has(e.id))).toBe(true);

  // Wait for both subscribers to deliver the last committed event, plus a moment for stragglers.
  const lastId = committed.at(-1)?.id;
  const deadline = Date.now() + 30_000;
  const delivered = (list: RecordedEvent[]) => list.some((e) => e.id === lastId);
  while (!(delivered(seen) && delivered(seenAll)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  await live.close();
  await liveAll.close();
  await consumed;
  const expected = committed.map((e) => e.id);
  for (const list of [seen, seenAll]) {
    const ids = list.map((e) => e.id);
    const unique = new Set(ids);
    const gaps = expected.filter((id) => !unique.has(id)).length;
    expect({ gaps, duplicates: ids.length - unique.size }).toEqual({ gaps: 0, duplicates: 0 });
    // ... and in the log's order.
    expect(ids).toEqual(expected);
  }
  const ids = expected;

  // Within each stream the subscriber saw revisions 0, 1, 2, ... with nothing missing.
  const next = new Map<string, bigint>();
  for (const e of seen) {
    expect(e.revision).toBe(next.get(e.streamName) ?? 0n);
    next.set(e.streamName, e.revision + 1n);
  }

  // The order is stable: a second subscriber from the same start sees the same sequence.
  const replay = store.subscribeToAll({ from, filter });
  const replayed = await collect(replay, (e) => e.length >= ids.length, 60_000);
  await replay.close();
  expect(replayed.map((e) => e.id)).toEqual(ids);
}
