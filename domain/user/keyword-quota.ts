import type { KeywordReplyCounted } from './events.js';
import type { PendingEvent } from './quota.js';
import type { UserState } from './state.js';

/** Keyword answers per sender: each one is an SMS we pay for, and none of them takes a quota unit. */
export interface KeywordLimits {
  perHour: number;
  perDay: number;
}

export type KeywordReplyDecision =
  | { allowed: true; alreadyDecided: boolean; events: PendingEvent<KeywordReplyCounted>[] }
  | { allowed: false; alreadyDecided: false; events: [] };

/**
 * Whether a keyword (HELP, START, MORE, RESET) may be answered. Sliding windows (the last hour, the
 * last 24 hours): nothing to explain to the sender, who gets silence past the limit. Pure and
 * idempotent per messageSid; append the events with the revision the state was read at.
 */
export function decideKeywordReply(
  state: UserState,
  input: { messageSid: string; keyword: string; now: Date; limits: KeywordLimits },
): KeywordReplyDecision {
  const { messageSid, keyword, now, limits } = input;
  if (state.keywordReplies.some((k) => k.messageSid === messageSid)) {
    return { allowed: true, alreadyDecided: true, events: [] };
  }
  const since = (ms: number) => state.keywordReplies.filter((k) => k.atMs > now.getTime() - ms).length;
  if (since(3600_000) >= limits.perHour || since(24 * 3600_000) >= limits.perDay) {
    return { allowed: false, alreadyDecided: false, events: [] };
  }
  return {
    allowed: true,
    alreadyDecided: false,
    events: [{ type: 'KeywordReplyCounted', data: { messageSid, keyword, at: now.toISOString() } }],
  };
}
