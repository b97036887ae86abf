import { userStream } from '../domain/events/envelope.js';
import { maskPhone } from '../domain/phone.js';
import type { UserEvent } from '../domain/user/events.js';
import { decodeUserState, encodeUserState, USER_SNAPSHOT_VERSION } from '../domain/user/snapshot.js';
import { foldUserState, initialUserState, type UserState } from '../domain/user/state.js';
import { type EventStore, type ExpectedRevision, type RecordedEvent, StreamNotFoundError } from '../eventstore/port.js';
import type { Logger } from '../infra/logger.js';
import { asDomain } from './event-log.js';

export interface UserRead {
  state: UserState;
  /** The revision `state` was folded up to: append the decision's events with it. */
  revision: ExpectedRevision;
}

/** A state folded up to a revision, and where the newest snapshot of the stream stands. */
interface Kept {
  state: UserState;
  revision: bigint;
  /** Id of the event at `revision`: a stream that no longer holds it there (a wiped test database) is read whole. */
  lastEventId: string;
  /** Revision of the newest snapshot this process knows of (-1 when none). */
  snapshotRevision: bigint;
}

/** What a read found: a kept or snapshot state to fold on (none: from the start), and the events after it. */
interface Found {
  base?: Kept;
  events: RecordedEvent[];
}

export interface UserStateReaderOptions {
  /** People whose state is kept (least recently read dropped first). */
  maxUsers?: number;
  /** Usage entries kept across all of them (about 200 bytes each), so heavy users cannot grow the worker without bound. */
  maxUsageEntries?: number;
  /** Events folded past a stream's newest snapshot before a new one is taken (default 500). */
  snapshotEvery?: number;
  /** A cold read takes a stream of fewer events than this whole, without looking for a snapshot (default 100). */
  shortStream?: number;
  /** Where a snapshot that could not be read or written is reported (the read goes on without it). */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Reads a person's state at the stream's current revision, folding only the events appended
 * since this process last read it. The state kept is the fold of the stream up to a revision,
 * so it is exact; each read still goes to the store (from the kept revision on), so a decision
 * appended with the returned revision is as race-free as one folded from the start.
 *
 * A cold read (the first in this process: a new worker, a person not read for a while) of a long
 * stream starts from its snapshot, when the store keeps them, and folds only the events after it; a
 * read that folded `snapshotEvery` events past the newest snapshot takes a new one. So a premium
 * person's month (10,000 SMS) is never folded whole again after a restart, and no read folds
 * more than about `snapshotEvery` events plus those of one burst.
 */
export function createUserStateReader(store: EventStore, options: UserStateReaderOptions = {}) {
  const maxUsers = options.maxUsers ?? 5_000;
  const maxUsageEntries = options.maxUsageEntries ?? 200_000;
  const snapshotEvery = BigInt(options.snapshotEvery ?? 500);
  const shortStream = options.shortStream ?? 100;
  const snapshots = store.snapshots;
  // A Map iterates in insertion order: re-inserting on each read makes it least-recently-used first.
  const kept = new Map<string, Kept>();
  let usageEntries = 0;

  function keep(phone: string, next: Kept) {
    const earlier = kept.get(phone);
    // Two reads of one person may overlap: never step back to an older revision.
    if (earlier && earlier.revision > next.revision) return;
    if (earlier) forget(phone);
    kept.set(phone, next);
    usageEntries += next.state.usage.length;
    for (const [oldest] of kept) {
      if (kept.size <= maxUsers && usageEntries <= maxUsageEntries) break;
      forget(oldest);
    }
  }

  function forget(phone: string) {
    const earlier = kept.get(phone);
    if (!earlier) return;
    usageEntries -= earlier.state.usage.length;
    kept.delete(phone);
  }

  async function readFrom(phone: string, fromRevision = 0n, maxCount?: number) {
    try {
      return await store.readStream(userStream(phone), { fromRevision, ...(maxCount !== undefined && { maxCount }) });
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  /** The events after `base`, or undefined when the stream no longer holds `base`'s last event. */
  async function after(phone: string, base: Kept): Promise<Found | undefined> {
    const events = await readFrom(phone, base.revision);
    const [first] = events;
    return first && first.revision === base.revision && first.id === base.lastEventId
      ? { base, events: events.slice(1) }
      : undefined;
  }

  async function fromSnapshot(phone: string): Promise<Kept | undefined> {
    if (!snapshots) return undefined;
    try {
      const snapshot = await snapshots.read(userStream(phone), USER_SNAPSHOT_VERSION);
      if (!snapshot) return undefined;
      return {
        state: decodeUserState(snapshot.state),
        revision: snapshot.revision,
        lastEventId: snapshot.eventId,
        snapshotRevision: snapshot.revision,
      };
    } catch (error) {
      options.logger?.warn({ err: error, user: maskPhone(phone) }, 'user snapshot unreadable; folding the stream');
      return undefined;
    }
  }

  /**
   * The first read of a person in this process. Most streams are short (a new person's is empty):
   * those are read whole in one query, as without snapshots; only a stream longer than
   * `shortStream` events is read from its snapshot, when there is one it can use.
   */
  async function coldRead(phone: string): Promise<Found> {
    const head = await readFrom(phone, 0n, shortStream);
    const lastOfHead = head.at(-1);
    if (!lastOfHead || head.length < shortStream) return { events: head };
    const snapshot = await fromSnapshot(phone);
    const fromIt = snapshot && (await after(phone, snapshot));
    if (fromIt) return fromIt;
    return { events: [...head, ...(await readFrom(phone, lastOfHead.revision + 1n))] };
  }

  /** A cache write: when it fails, the next read folds a little more, nothing else. */
  async function takeSnapshot(phone: string, next: Kept) {
    if (!snapshots || next.revision - next.snapshotRevision < snapshotEvery) return;
    try {
      await snapshots.write(userStream(phone), {
        version: USER_SNAPSHOT_VERSION,
        revision: next.revision,
        eventId: next.lastEventId,
        state: encodeUserState(next.state),
      });
      next.snapshotRevision = next.revision;
    } catch (error) {
      options.logger?.warn({ err: error, user: maskPhone(phone) }, 'user snapshot not written');
    }
  }

  return async function readUser(phone: string): Promise<UserRead> {
    const earlier = kept.get(phone);
    let read = earlier && (await after(phone, earlier));
    if (!read) {
      if (earlier) forget(phone);
      read = await coldRead(phone);
    }
    const { base, events } = read;
    const last = events.at(-1);
    if (!last) {
      if (!base) return empty();
      keep(phone, base); // nothing new: only its place in the least-recently-read order moves
      return { state: base.state, revision: base.revision };
    }
    const state = foldUserState(base?.state ?? initialUserState, events.map(asDomain) as UserEvent[]);
    const next: Kept = {
      state,
      revision: last.revision,
      lastEventId: last.id,
      snapshotRevision: base?.snapshotRevision ?? -1n,
    };
    await takeSnapshot(phone, next);
    keep(phone, next);
    return { state, revision: last.revision };
  };
}

const empty = (): UserRead => ({ state: initialUserState, revision: 'no_stream' });
