import { describe, expect, it } from 'vitest';
import { appendEvents, asDomain, readStreamOrEmpty } from '../../activities/event-log.js';
import { createUserStateReader } from '../../activities/user-state-reader.js';
import { userStream } from '../../domain/events/envelope.js';
import type { UserEvent } from '../../domain/user/events.js';
import { decideUsage, type QuotaPolicy } from '../../domain/user/quota.js';
import { USER_SNAPSHOT_VERSION } from '../../domain/user/snapshot.js';
import { userStateFrom } from '../../domain/user/state.js';
import { type EventStore, type RecordedEvent, WrongExpectedVersionError } from '../../eventstore/index.js';
import { useEventStoreDatabase } from '../support/database.js';

const db = useEventStoreDatabase('usr');

/** The real PostgreSQL store in a fresh schema; `returned` counts the events its reads hand out. */
async function freshStore() {
  const { store: raw, schema } = await db.freshStore();
  const counter = { returned: 0 };
  const store: EventStore = Object.create(raw, {
    readStream: {
      value: async (...args: Parameters<EventStore['readStream']>) => {
        const events: RecordedEvent[] = await raw.readStream(...args);
        counter.returned += events.length;
        return events;
      },
    },
  });
  return { store, counter, schema };
}

const at = (ms: number) => new Date(ms).toISOString();
const now = new Date();
const policy: QuotaPolicy = {
  free: { perMinute: 1_000, perDay: 100_000, perMonth: 3 },
  premium: { perMinute: 1_000, perDay: 100_000, perMonth: 10_001 },
};
let seq = 0;
const cause = () => ({ correlationId: `test-${seq++}`, round: 0, now });

async function register(store: EventStore, phone: string, tier: 'free' | 'premium' = 'free') {
  await appendEvents(
    store,
    userStream(phone),
    [{ type: 'UserRegistered', step: 'r', data: { phone, tier, registeredAt: at(now.getTime()) } }],
    cause(),
    'no_stream',
  );
}
const unit = (sid: string, ms = now.getTime()) => ({
  type: 'UsageRecorded' as const,
  step: `u-${sid}`,
  data: { messageSid: sid, at: at(ms) },
});
async function fullFold(store: EventStore, phone: string) {
  const { events, revision } = await readStreamOrEmpty(store, userStream(phone));
  return { state: userStateFrom(events.map(asDomain) as UserEvent[]), revision };
}

describe('user state reader (real PostgreSQL)', () => {
  it('given others append between reads, then each read equals the full fold and hands out only what is new', async () => {
    const { store, counter } = await freshStore();
    const phone = '+14155550101';
    const read = createUserStateReader(store);
    expect(await read(phone)).toEqual({ state: userStateFrom([]), revision: 'no_stream' });
    await register(store, phone);
    await appendEvents(store, userStream(phone), [unit('SM1'), unit('SM2')], cause());
    expect(await read(phone)).toEqual(await fullFold(store, phone));

    await appendEvents(
      store,
      userStream(phone),
      [unit('SM3'), { type: 'UserOptedOut', step: 'o', data: { source: 'keyword' } }],
      cause(),
    );
    counter.returned = 0;
    const third = await read(phone);
    // The kept revision's own event (to check it is still there) and the two new ones.
    expect(counter.returned).toBe(3);
    expect(third).toEqual(await fullFold(store, phone));
    expect(third.state).toMatchObject({ optedOut: true });
    expect(third.state.usage.map((u) => u.messageSid)).toEqual(['SM1', 'SM2', 'SM3']);

    counter.returned = 0;
    expect(await read(phone)).toEqual(third);
    expect(counter.returned).toBe(1);
  });

  it('given a stream that no longer holds the kept event (a wiped log), then it is read whole again', async () => {
    const { store, schema } = await freshStore();
    const phone = '+14155550102';
    const read = createUserStateReader(store);
    await register(store, phone);
    await appendEvents(store, userStream(phone), [unit('SMold1'), unit('SMold2')], cause());
    expect((await read(phone)).state.usage).toHaveLength(2);

    // Wiped and written again past the kept revision: the event at that revision is another one.
    await db.pool().query(`TRUNCATE ${schema}.events, ${schema}.streams`);
    await register(store, phone, 'premium');
    await appendEvents(store, userStream(phone), [unit('SMnew1'), unit('SMnew2'), unit('SMnew3')], cause());
    const after = await read(phone);
    expect(after).toEqual(await fullFold(store, phone));
    expect(after.state.usage.map((u) => u.messageSid)).toEqual(['SMnew1', 'SMnew2', 'SMnew3']);
    expect(after.state.tier).toBe('premium');

    await db.pool().query(`TRUNCATE ${schema}.events, ${schema}.streams`);
    expect(await read(phone)).toEqual({ state: userStateFrom([]), revision: 'no_stream' });
  });

  it('given one unit left and two texts at once (one reader each and one shared), then exactly one takes it', async () => {
    const { store } = await freshStore();
    const phone = '+14155550103';
    await register(store, phone);
    await appendEvents(store, userStream(phone), [unit('SM1'), unit('SM2')], cause());
    const shared = createUserStateReader(store);
    await shared(phone); // warm: both texts start from the kept state
    const readers = [shared, shared, createUserStateReader(store)];

    // The rate check's loop: decide at a revision, append with it, decide again on a conflict.
    const take = async (sid: string, read: typeof shared) => {
      for (;;) {
        const { state, revision } = await read(phone);
        const decision = decideUsage(state, { messageSid: sid, now, policy });
        try {
          if (!decision.alreadyDecided) {
            await appendEvents(
              store,
              userStream(phone),
              decision.events.map((e) => ({ ...e, step: `d-${sid}` })) as never,
              cause(),
              revision,
            );
          }
          return decision.allowed;
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
        }
      }
    };
    const results = await Promise.all(readers.map((read, i) => take(`SMlast${i}`, read)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const { state } = await fullFold(store, phone);
    expect(state.usage).toHaveLength(3);
    expect(state.rateLimitHits).toHaveLength(2);
    for (const read of readers) expect((await read(phone)).state).toEqual(state);
  });

  it('given 10,000 units this month, then a cold read equals the full fold and a warm one reads one event', async () => {
    const { store, counter } = await freshStore();
    const phone = '+14155550104';
    await register(store, phone, 'premium');
    const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    const span = now.getTime() - monthStart;
    for (let i = 0; i < 10_000; i += 1_000) {
      const units = Array.from({ length: 1_000 }, (_, j) =>
        unit(`SM${i + j}`, monthStart + Math.floor((span * (i + j)) / 10_000)),
      );
      await appendEvents(store, userStream(phone), units, cause());
    }
    const read = createUserStateReader(store);
    const cold = await read(phone);
    expect(cold).toEqual(await fullFold(store, phone));
    expect(cold.state.usage).toHaveLength(10_000);
    expect(decideUsage(cold.state, { messageSid: 'SMa', now, policy }).allowed).toBe(true);
    counter.returned = 0;
    expect(await read(phone)).toEqual(cold);
    expect(counter.returned).toBe(1);
  });

  it('keeps at most maxUsers people, dropping the least recently read', async () => {
    const { store, counter } = await freshStore();
    const read = createUserStateReader(store, { maxUsers: 2 });
    for (const phone of ['+14155550111', '+14155550112', '+14155550113']) {
      await register(store, phone);
      await appendEvents(store, userStream(phone), [unit(`SM1${phone}`), unit(`SM2${phone}`)], cause());
    }
    await read('+14155550111');
    await read('+14155550112');
    await read('+14155550111');
    await read('+14155550113'); // drops ...112, the least recently read
    counter.returned = 0;
    await read('+14155550111');
    expect(counter.returned).toBe(1);
    counter.returned = 0;
    await read('+14155550112');
    // Not kept: the whole three-event stream is read again.
    expect(counter.returned).toBe(3);
  });

  describe('snapshots', () => {
    /** A premium person with `n` units this month, appended in thousands as a month of texts would be. */
    async function heavyUser(store: EventStore, phone: string, n: number, prefix = 'SM') {
      await register(store, phone, 'premium');
      const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
      const span = now.getTime() - monthStart;
      for (let i = 0; i < n; i += 1_000) {
        const units = Array.from({ length: Math.min(1_000, n - i) }, (_, j) =>
          unit(`${prefix}${i + j}`, monthStart + Math.floor((span * (i + j)) / n)),
        );
        await appendEvents(store, userStream(phone), units, cause());
      }
    }
    const snapshotRow = async (schema: string, phone: string) =>
      (
        await db
          .pool()
          .query<{ version: string; revision: string }>(
            `SELECT version, revision::text AS revision FROM ${schema}.snapshots WHERE stream_name = $1`,
            [userStream(phone)],
          )
      ).rows;

    it('given a read folded past snapshotEvery events, then the next process starts from its snapshot and folds only what came after', async () => {
      const { store, counter, schema } = await freshStore();
      const phone = '+14155550121';
      await heavyUser(store, phone, 1_200);
      expect(await createUserStateReader(store, { snapshotEvery: 500 })(phone)).toEqual(await fullFold(store, phone));
      expect(await snapshotRow(schema, phone)).toEqual([{ version: USER_SNAPSHOT_VERSION, revision: '1200' }]);

      // A new worker: the first 100 events (the stream is not short), then the snapshot's own
      // event (checked against the log) and nothing else.
      counter.returned = 0;
      const restarted = await createUserStateReader(store, { snapshotEvery: 500 })(phone);
      expect(counter.returned).toBe(100 + 1);
      expect(restarted).toEqual(await fullFold(store, phone));

      // 300 more: a cold read folds those (and the snapshot's event) on the snapshot, and takes no new one (300 < 500).
      await appendEvents(store, userStream(phone), usage300(), cause());
      counter.returned = 0;
      const later = await createUserStateReader(store, { snapshotEvery: 500 })(phone);
      expect(counter.returned).toBe(100 + 301);
      expect(later).toEqual(await fullFold(store, phone));
      expect(later.state.usage).toHaveLength(1_500);
      expect(await snapshotRow(schema, phone)).toEqual([{ version: USER_SNAPSHOT_VERSION, revision: '1200' }]);

      // The same reader, 200 more: 500 past the snapshot, so it takes the next one at the end.
      const reader = createUserStateReader(store, { snapshotEvery: 500 });
      await reader(phone);
      await appendEvents(store, userStream(phone), usage300('SMnext').slice(0, 200), cause());
      expect(await reader(phone)).toEqual(await fullFold(store, phone));
      expect(await snapshotRow(schema, phone)).toEqual([{ version: USER_SNAPSHOT_VERSION, revision: '1700' }]);
    });

    it('given a snapshot the log no longer matches (a wiped log written again), then the stream is folded whole', async () => {
      const { store, schema } = await freshStore();
      const phone = '+14155550122';
      await heavyUser(store, phone, 600);
      await createUserStateReader(store, { snapshotEvery: 500 })(phone);
      expect(await snapshotRow(schema, phone)).toHaveLength(1);

      await db.pool().query(`TRUNCATE ${schema}.events, ${schema}.streams`);
      await heavyUser(store, phone, 700, 'SMagain');
      const cold = await createUserStateReader(store, { snapshotEvery: 10_000 })(phone);
      expect(cold).toEqual(await fullFold(store, phone));
      expect(cold.state.usage[0]?.messageSid).toBe('SMagain0');
    });

    it('given a snapshot of another fold version or one that cannot be decoded, then it is ignored (and the second replaced)', async () => {
      const { store, counter, schema } = await freshStore();
      const phone = '+14155550123';
      await heavyUser(store, phone, 600);
      const last = (await store.readStream(userStream(phone), { direction: 'backwards', maxCount: 1 }))[0];
      if (!last) throw new Error('no events');
      const forged = { revision: last.revision, eventId: last.id };
      // What an older fold might have left: a state this version must not fold on.
      await store.snapshots?.write(userStream(phone), {
        version: 'user-state/0',
        ...forged,
        state: JSON.stringify({ tier: 'free', usage: [] }),
      });
      const warnings: unknown[] = [];
      const logger = { warn: (...args: unknown[]) => warnings.push(args) };
      counter.returned = 0;
      const ignored = await createUserStateReader(store, { snapshotEvery: 10_000, logger })(phone);
      expect(counter.returned).toBe(601);
      expect(ignored).toEqual(await fullFold(store, phone));
      expect(warnings).toEqual([]);

      await store.snapshots?.write(userStream(phone), { version: USER_SNAPSHOT_VERSION, ...forged, state: '{"usa' });
      const read = createUserStateReader(store, { snapshotEvery: 500, logger });
      expect(await read(phone)).toEqual(await fullFold(store, phone));
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings)).not.toContain(phone);
      // The fold at the same revision replaced the undecodable one: the next process starts from it.
      counter.returned = 0;
      const restarted = await createUserStateReader(store, { logger })(phone);
      expect(counter.returned).toBe(100 + 1);
      expect(restarted).toEqual(await fullFold(store, phone));
      expect(warnings).toHaveLength(1);
      expect((await snapshotRow(schema, phone)).map((r) => r.version).sort()).toEqual([
        'user-state/0',
        USER_SNAPSHOT_VERSION,
      ]);
    });

    it('given a new person or a short stream, then a cold read is one query and never looks for a snapshot', async () => {
      const { store } = await freshStore();
      const looked: string[] = [];
      const inner = store.snapshots;
      if (!inner) throw new Error('the PostgreSQL store keeps snapshots');
      const watched: EventStore = Object.create(store, {
        snapshots: {
          value: {
            read: (stream: string, version: string) => {
              looked.push(stream);
              return inner.read(stream, version);
            },
            write: inner.write,
          },
        },
      });
      expect((await createUserStateReader(watched)('+14155550125')).revision).toBe('no_stream');
      await heavyUser(store, '+14155550126', 98); // 99 events with the registration
      expect(await createUserStateReader(watched)('+14155550126')).toEqual(await fullFold(store, '+14155550126'));
      expect(looked).toEqual([]);
      await appendEvents(store, userStream('+14155550126'), [unit('SM100')], cause());
      expect(await createUserStateReader(watched)('+14155550126')).toEqual(await fullFold(store, '+14155550126'));
      expect(looked).toEqual([userStream('+14155550126')]);
    });

    it('given a store that keeps no snapshots (KurrentDB here), then reads fold the stream as before', async () => {
      const { store } = await freshStore();
      const phone = '+14155550124';
      await heavyUser(store, phone, 600);
      const bare: EventStore = Object.create(store, { snapshots: { value: undefined } });
      const read = createUserStateReader(bare, { snapshotEvery: 500 });
      expect(await read(phone)).toEqual(await fullFold(store, phone));
      expect(await store.snapshots?.read(userStream(phone), USER_SNAPSHOT_VERSION)).toBeUndefined();
    });
  });
});

function usage300(prefix = 'SMmore') {
  return Array.from({ length: 300 }, (_, i) => unit(`${prefix}${i}`));
}
