import type { UserEvent } from '../../../domain/user/events.js';
import type { KeywordLimits, KeywordReplyDecision } from '../../../domain/user/keyword-quota.js';
import {
  type DecideUsageInput,
  defaultQuotaPolicy,
  type UsageDecision,
  windowBounds,
} from '../../../domain/user/quota.js';
import {
  initialUserState,
  MAX_RATE_LIMIT_HITS_KEPT,
  MAX_TURNS_KEPT,
  type UserState,
} from '../../../domain/user/state.js';

/**
 * The oracle: the user fold and the two quota decisions as they were before issue #18 (re-filter
 * on every event, dates parsed per decision), kept verbatim but for `atMs`, which is filled from
 * the same Date.parse so whole states compare. The new fold and decisions must agree with it.
 */
const utcMonthStart = (iso: string) => {
  const d = new Date(iso);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
const keepLast = <T>(items: T[], n: number) => (items.length > n ? items.slice(items.length - n) : items);

function legacyEvolve(state: UserState, event: UserEvent): UserState {
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
      const monthStart = utcMonthStart(event.data.at);
      const usage = state.usage.filter((u) => Date.parse(u.at) >= monthStart);
      const entry = { messageSid: event.data.messageSid, at: event.data.at, atMs: Date.parse(event.data.at) };
      return { ...state, usage: [...usage, entry] };
    }
    case 'KeywordReplyCounted': {
      const dayAgo = Date.parse(event.data.at) - 24 * 3600_000;
      const recent = state.keywordReplies.filter((k) => Date.parse(k.at) > dayAgo);
      const entry = { messageSid: event.data.messageSid, at: event.data.at, atMs: Date.parse(event.data.at) };
      return { ...state, keywordReplies: [...recent, entry] };
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
        conversation: keepLast([...state.conversation, { ...event.data }], MAX_TURNS_KEPT),
      };
    case 'TierChanged':
      return { ...state, tier: event.data.tier };
    case 'UserProfileUpdated':
      return {
        ...state,
        profile: {
          ...state.profile,
          ...Object.fromEntries(Object.entries(event.data).filter(([, v]) => v !== undefined)),
        },
      };
    // Added with issue #15 (takeover); not part of the pre-#18 fold, folded the obvious way.
    case 'ConversationTakenOver':
      return { ...state, takeover: { ...event.data, since: event.metadata.occurredAt } };
    case 'ConversationReleased':
      return { ...state, takeover: undefined };
    default:
      // Spend events came after issue #18: the oracle folds none (its generated streams hold none).
      return state;
  }
}

export const legacyFold = (events: UserEvent[]) => events.reduce(legacyEvolve, initialUserState);

const LIMIT_OF = { minute: 'perMinute', day: 'perDay', month: 'perMonth' } as const;

export function legacyDecideUsage(state: UserState, input: DecideUsageInput): UsageDecision {
  const { messageSid, now, policy = defaultQuotaPolicy } = input;
  const limits = policy[state.tier];
  if (state.usage.some((u) => u.messageSid === messageSid)) return { allowed: true, alreadyDecided: true, events: [] };
  const earlier = state.rateLimitHits.find((h) => h.messageSid === messageSid);
  if (earlier) {
    const { window, windowStart, retryAt, notify } = earlier;
    return {
      allowed: false,
      alreadyDecided: true,
      window,
      limit: limits[LIMIT_OF[window]],
      windowStart,
      retryAt,
      notify,
      events: [],
    };
  }
  for (const window of ['month', 'day', 'minute'] as const) {
    const limit = limits[LIMIT_OF[window]];
    const { start, end } = windowBounds(window, now);
    const used = state.usage.filter((u) => Date.parse(u.at) >= start.getTime()).length;
    if (used < limit) continue;
    const windowStart = start.toISOString();
    const retryAt = end.toISOString();
    const notify = state.lastRateLimitNotice[window] !== windowStart;
    return {
      allowed: false,
      alreadyDecided: false,
      window,
      limit,
      windowStart,
      retryAt,
      notify,
      events: [{ type: 'RateLimitHit', data: { messageSid, window, windowStart, retryAt, notify } }],
    };
  }
  return {
    allowed: true,
    alreadyDecided: false,
    events: [{ type: 'UsageRecorded', data: { messageSid, at: now.toISOString() } }],
  };
}

export function legacyDecideKeywordReply(
  state: UserState,
  input: { messageSid: string; keyword: string; now: Date; limits: KeywordLimits },
): KeywordReplyDecision {
  const { messageSid, keyword, now, limits } = input;
  if (state.keywordReplies.some((k) => k.messageSid === messageSid)) {
    return { allowed: true, alreadyDecided: true, events: [] };
  }
  const since = (ms: number) => state.keywordReplies.filter((k) => Date.parse(k.at) > now.getTime() - ms).length;
  if (since(3600_000) >= limits.perHour || since(24 * 3600_000) >= limits.perDay) {
    return { allowed: false, alreadyDecided: false, events: [] };
  }
  return {
    allowed: true,
    alreadyDecided: false,
    events: [{ type: 'KeywordReplyCounted', data: { messageSid, keyword, at: now.toISOString() } }],
  };
}
