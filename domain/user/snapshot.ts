import type { SpendState } from './spend.js';
import type { UsageEntry, UserState } from './state.js';

/**
 * Names the user fold (state.ts, spend.ts) and this encoding. Bump it whenever either could give
 * another state for the same events: snapshots of another version are then ignored and taken
 * again, never folded on. test/domain/user/snapshot.unit.test.ts pins the files' contents to it.
 */
export const USER_SNAPSHOT_VERSION = 'user-state/1';

/** The state as JSON: usage entries as tuples (a month can hold 10,000), the open reservations as pairs. */
interface Encoded extends Omit<UserState, 'usage' | 'keywordReplies' | 'spend'> {
  usage: [string, string, number][];
  keywordReplies: [string, string, number][];
  spend: Omit<SpendState, 'open'> & { open: [string, { micros: number; atMs: number }][] };
}

const toTuples = (entries: UsageEntry[]): [string, string, number][] =>
  entries.map((u) => [u.messageSid, u.at, u.atMs]);
const fromTuples = (tuples: [string, string, number][]): UsageEntry[] =>
  tuples.map(([messageSid, at, atMs]) => ({ messageSid, at, atMs }));

export function encodeUserState(state: UserState): string {
  const encoded: Encoded = {
    ...state,
    usage: toTuples(state.usage),
    keywordReplies: toTuples(state.keywordReplies),
    spend: { ...state.spend, open: [...state.spend.open] },
  };
  return JSON.stringify(encoded);
}

/** The state `encodeUserState` was given: decode(encode(s)) deep-equals s. */
export function decodeUserState(text: string): UserState {
  const encoded = JSON.parse(text) as Encoded;
  return {
    ...encoded,
    usage: fromTuples(encoded.usage),
    keywordReplies: fromTuples(encoded.keywordReplies),
    spend: { ...encoded.spend, open: new Map(encoded.spend.open) },
  };
}
