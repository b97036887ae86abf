import { userStream } from '../domain/events/envelope.js';
import type { UserEvent } from '../domain/user/events.js';
import { foldUserState, initialUserState, type UserState } from '../domain/user/state.js';
import { type EventStore, type ExpectedRevision, StreamNotFoundError } from '../eventstore/port.js';
import { asDomain } from './event-log.js';

export interface UserRead {
  state: UserState;
  /** The revision `state` was folded up to: append the decision's events with it. */
  revision: ExpectedRevision;
}

interface Kept {
  state: UserState;
  revision: bigint;
  /** Id of the event at `revision`: a stream that no longer holds it there (a wiped test database) is read whole. */
  lastEventId: string;
}

export interface UserStateReaderOptions {
  /** People whose state is kept (least recently read dropped first). */
  maxUsers?: number;
  /** Usage entries kept across all of them (about 200 bytes each), so heavy users cannot grow the worker without bound. */
  maxUsageEntries?: number;
}

/**
 * Reads a person's state at the stream's current revision, folding only the events appended
 * since this process last read it. The state kept is the fold of the stream up to a revision,
 * so it is exact; each read still goes to the store (from the kept revision on), so a decision
 * appended with the returned revision is as race-free as one folded from the start. A cold
 * read (first one in this process) folds the whole stream once, linearly.
 */
export function createUserStateReader(store: EventStore, options: UserStateReaderOptions = {}) {
  const maxUsers = options.maxUsers ?? 5_000;
  const maxUsageEntries = options.maxUsageEntries ?? 200_000;
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

  async function readFrom(phone: string, fromRevision?: bigint) {
    try {
      return await store.readStream(userStream(phone), fromRevision === undefined ? {} : { fromRevision });
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  return async function readUser(phone: string): Promise<UserRead> {
    const earlier = kept.get(phone);
    let base = initialUserState;
    let events = await readFrom(phone, earlier?.revision);
    if (earlier) {
      const [first] = events;
      if (first && first.revision === earlier.revision && first.id === earlier.lastEventId) {
        base = earlier.state;
        events = events.slice(1);
      } else {
        forget(phone);
        events = await readFrom(phone);
      }
    }
    const last = events.at(-1);
    if (!last) {
      if (!earlier || base !== earlier.state) return empty();
      keep(phone, earlier); // nothing new: only its place in the least-recently-read order moves
      return { state: base, revision: earlier.revision };
    }
    const state = foldUserState(base, events.map(asDomain) as UserEvent[]);
    keep(phone, { state, revision: last.revision, lastEventId: last.id });
    return { state, revision: last.revision };
  };
}

const empty = (): UserRead => ({ state: initialUserState, revision: 'no_stream' });
