import type { RateLimitHit, RateWindow, Tier, UserEvent } from './events.js';
import { copySpendState, evolveSpend, initialSpendState, type SpendState } from './spend.js';
import type { Takeover } from './takeover.js';

export interface UsageEntry {
  messageSid: string;
  /** ISO timestamp of the unit taken. */
  at: string;
  /** `at` parsed once in the fold, so windows are counted without parsing dates per decision. */
  atMs: number;
}

export type RateLimitEntry = RateLimitHit['data'];

export interface ConversationTurn {
  messageSid: string;
  question: string;
  answer: string;
}

/** What the rules need to know about one person, folded from their `user-<E.164>` stream. */
export interface UserState {
  registered: boolean;
  phone?: string;
  registeredAt?: string;
  tier: Tier;
  optedOut: boolean;
  /** Units taken since the start of the UTC month of the latest one: all any window can count. */
  usage: UsageEntry[];
  /** Keyword answers of the last day (HELP, START, MORE, RESET), for their own quota. */
  keywordReplies: UsageEntry[];
  /** The latest limited messages (bounded), so deciding the same message again gives the same answer. */
  rateLimitHits: RateLimitEntry[];
  /** windowStart (ISO) of the window whose limit notice was last sent, per window kind. */
  lastRateLimitNotice: Partial<Record<RateWindow, string>>;
  /** Turns since the last RESET, the latest MAX_TURNS_KEPT only. */
  conversation: ConversationTurn[];
  profile: { email?: string; fullName?: string; preferences?: Record<string, unknown> };
  /** The latest answer that was cut short: MORE sends the next part from `sentUpTo`. */
  pendingMore?: { messageSid: string; sentUpTo: number };
  /** AI spend per calendar window and the reservations still open (domain/user/spend.ts). */
  spend: SpendState;
  /** The latest takeover not released; whether it still holds at a time is domain/user/takeover.ts. */
  takeover?: Takeover;
}

export const MAX_TURNS_KEPT = 10;
export const MAX_RATE_LIMIT_HITS_KEPT = 50;

export const initialUserState: UserState = {
  registered: false,
  tier: 'free',
  optedOut: false,
  usage: [],
  keywordReplies: [],
  rateLimitHits: [],
  lastRateLimitNotice: {},
  conversation: [],
  profile: {},
  spend: initialSpendState(),
};

/** Start of the UTC calendar month holding `ms`. */
const utcMonthStart = (ms: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};

const keepLast = <T>(items: T[], n: number) => (items.length > n ? items.slice(items.length - n) : items);

export function evolve(state: UserState, event: UserEvent): UserState {
  return step(state, event, false);
}

/**
 * `own`: the fold owns `state.usage` (a copy no one else holds), so a unit is pushed in place:
 * copying a month of usage (10,000 entries for a premium user) per event made the fold quadratic.
 */
function step(state: UserState, event: UserEvent, own: boolean): UserState {
  switch (event.type) {
    case 'UserRegistered':
      return {
        ...state,
        registered: true,
        phone: event.data.phone,
        registeredAt: event.data.registeredAt,
        tier: event.data.tier,
      };
    case 'UsageRecorded': {
      // Windows are calendar-aligned (see quota.ts), so nothing before this month can count again.
      // Every kept entry is on or after the month of the latest one (the list's last), so only a
      // later month has anything to drop: the fold stays linear instead of re-filtering each time.
      const atMs = Date.parse(event.data.at);
      const last = state.usage.at(-1);
      // Entries are in the log's order, so one in the latest entry's month or later cannot start an
      // earlier month: the month is worked out only when the entry is past the latest one's.
      const monthStart = last !== undefined && atMs > last.atMs ? utcMonthStart(atMs) : undefined;
      const usage =
        last !== undefined && monthStart !== undefined && last.atMs < monthStart
          ? state.usage.filter((u) => u.atMs >= monthStart)
          : state.usage;
      const entry = { messageSid: event.data.messageSid, at: event.data.at, atMs };
      if (own) {
        // The fold's own copy (foldUserState): a month of units is one object changed in place, not
        // 10,000 copies of the state.
        state.usage = appended(usage, entry, true);
        return state;
      }
      return { ...state, usage: appended(usage, entry, false) };
    }
    case 'KeywordReplyCounted': {
      const atMs = Date.parse(event.data.at);
      const recent = state.keywordReplies.filter((k) => k.atMs > atMs - 24 * 3600_000);
      return { ...state, keywordReplies: [...recent, { messageSid: event.data.messageSid, at: event.data.at, atMs }] };
    }
    case 'RateLimitHit':
      return {
        ...state,
        rateLimitHits: keepLast([...state.rateLimitHits, event.data], MAX_RATE_LIMIT_HITS_KEPT),
        lastRateLimitNotice: event.data.notify
          ? { ...state.lastRateLimitNotice, [event.data.window]: event.data.windowStart }
          : state.lastRateLimitNotice,
      };
    case 'UserOptedOut':
      return { ...state, optedOut: true };
    case 'UserOptedIn':
      return { ...state, optedOut: false };
    case 'ConversationReset':
      return { ...state, conversation: [], pendingMore: undefined };
    case 'ReplyProgressRecorded':
      return {
        ...state,
        pendingMore: event.data.hasMore
          ? { messageSid: event.data.messageSid, sentUpTo: event.data.sentUpTo }
          : undefined,
      };
    case 'ConversationTurnRecorded':
      return {
        ...state,
        conversation: keepLast(
          [
            ...state.conversation,
            { messageSid: event.data.messageSid, question: event.data.question, answer: event.data.answer },
          ],
          MAX_TURNS_KEPT,
        ),
      };
    case 'TierChanged':
      return { ...state, tier: event.data.tier };
    case 'UserProfileUpdated':
      return { ...state, profile: { ...state.profile, ...withoutUndefined(event.data) } };
    case 'SpendReserved':
    case 'SpendRecorded':
    case 'SpendCapHit':
      return { ...state, spend: evolveSpend(own ? state.spend : copySpendState(state.spend), event) };
    case 'ConversationTakenOver':
      return { ...state, takeover: { ...event.data, since: event.metadata.occurredAt } };
    case 'ConversationReleased':
      return { ...state, takeover: undefined };
    default:
      // Compile-time exhaustiveness; at run time an event type this code does not know changes nothing.
      event satisfies never;
      return state;
  }
}

/** Folds a stream (oldest first) into the state. */
export function userStateFrom(events: Iterable<UserEvent>): UserState {
  return foldUserState(initialUserState, events);
}

/**
 * Folds further events (oldest first) onto a state: `foldUserState(userStateFrom(a), b)` equals
 * `userStateFrom([...a, ...b])`, so a reader may keep a state and fold only what came since.
 * Linear in the events; `state` itself is left untouched.
 */
export function foldUserState(state: UserState, events: Iterable<UserEvent>): UserState {
  // The fold changes its own copies in place. The month's usage (10,000 entries for a busy premium
  // person) is copied only once a unit comes, not for every fold of a stream's newest events (most
  // of an SMS's reads fold none); a month change filters into a fresh array, which it owns too.
  let next: UserState = { ...state, spend: copySpendState(state.spend) };
  for (const event of events) {
    if (event.type === 'UsageRecorded' && next.usage === state.usage) next = { ...next, usage: [...state.usage] };
    next = step(next, event, true);
  }
  return next;
}

function appended(usage: UsageEntry[], entry: UsageEntry, own: boolean): UsageEntry[] {
  if (!own) return [...usage, entry];
  usage.push(entry);
  return usage;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
