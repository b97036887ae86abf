import type { RateLimitHit, RateWindow, Tier, UsageRecorded } from './events.js';
import type { UserState } from './state.js';

export interface Limits {
  perMinute: number;
  perDay: number;
  perMonth: number;
}

/** Limits per tier. A limit of 0 blocks that tier. */
export type QuotaPolicy = Record<Tier, Limits>;

export const defaultQuotaPolicy: QuotaPolicy = {
  free: { perMinute: 10, perDay: 20, perMonth: 200 },
  premium: { perMinute: 30, perDay: 500, perMonth: 10_000 },
};

/** An event the caller appends to `user-<phone>` (with the revision it decided on) after stamping metadata. */
export interface PendingEvent<E extends { type: string; data: unknown }> {
  type: E['type'];
  data: E['data'];
}

export type UsageDecision =
  | {
      allowed: true;
      /** True when this messageSid was already decided: nothing new to append. */
      alreadyDecided: boolean;
      events: PendingEvent<UsageRecorded>[];
    }
  | {
      allowed: false;
      alreadyDecided: boolean;
      window: RateWindow;
      limit: number;
      /** ISO timestamps (strings survive Temporal's JSON payloads; Dates do not). */
      windowStart: string;
      retryAt: string;
      /** Only the first limited message of a window gets the polite SMS. */
      notify: boolean;
      events: PendingEvent<RateLimitHit>[];
    };

export interface DecideUsageInput {
  messageSid: string;
  now: Date;
  policy?: QuotaPolicy;
}

const LIMIT_OF: Record<RateWindow, keyof Limits> = { minute: 'perMinute', day: 'perDay', month: 'perMonth' };
/** Longest window first: when several are full, the sender must wait for the latest reset. */
const WINDOWS: RateWindow[] = ['month', 'day', 'minute'];

/**
 * Windows are calendar-aligned in UTC: the current minute, the UTC day, the UTC calendar month.
 * Simpler to explain in the polite SMS ("try again in about 40 seconds", "on Dec 1") than sliding
 * windows; the price is that a burst straddling a boundary can use two windows' worth.
 */
export function windowBounds(window: RateWindow, now: Date): { start: Date; end: Date } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  switch (window) {
    case 'minute': {
      const start = Math.floor(now.getTime() / 60_000) * 60_000;
      return { start: new Date(start), end: new Date(start + 60_000) };
    }
    case 'day':
      return { start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) };
    case 'month':
      return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
  }
}

/**
 * Whether one inbound SMS may take a quota unit. Pure: decide on the state at a stream revision,
 * append the returned events with that expected revision, and on a conflict re-read and decide again.
 * Idempotent per messageSid: a message already decided gets the same answer and no new events.
 */
export function decideUsage(state: UserState, input: DecideUsageInput): UsageDecision {
  const { messageSid, now, policy = defaultQuotaPolicy } = input;
  const limits = policy[state.tier];

  if (state.usage.some((u) => u.messageSid === messageSid)) return { allowed: true, alreadyDecided: true, events: [] };
  const earlier = state.rateLimitHits.find((h) => h.messageSid === messageSid);
  if (earlier) {
    // RateLimitHit does not store the limit; the current policy's figure is reported again.
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

  for (const window of WINDOWS) {
    const limit = limits[LIMIT_OF[window]];
    const { start, end } = windowBounds(window, now);
    const from = start.getTime();
    let used = 0;
    for (const u of state.usage) if (u.atMs >= from) used++;
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
