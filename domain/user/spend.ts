import type { Tier } from './events.js';
import type { PendingEvent } from './quota.js';
import { windowBounds } from './quota.js';
import type { SpendCapHit, SpendEvent, SpendReserved } from './spend-events.js';

/**
 * Spend caps in money. Quotas count SMS; this rule counts what the answers cost (estimated from
 * the tokens and the price table). Money is kept in whole micro-dollars (the precision costs are
 * rounded to) so sums never drift.
 */

export type SpendWindow = 'day' | 'month';
export type SpendScope = 'user' | 'global';

/** A tier's caps in USD; undefined: no cap in that window. 0 blocks the tier's AI answers. */
export interface SpendCaps {
  dayUsd?: number;
  monthUsd?: number;
}
export type SpendPolicy = Record<Tier, SpendCaps>;

export const noSpendCaps: SpendPolicy = { free: {}, premium: {} };

/** One calendar window's sums: actual costs, and reservations still waiting for theirs. */
export interface SpendTotals {
  startMs: number;
  spentMicros: number;
  reservedMicros: number;
}

export interface SpendState {
  day: SpendTotals;
  month: SpendTotals;
  /** Reservations without their SpendRecorded yet (calls in flight, tasks waiting for a retry). */
  open: Map<string, { micros: number; atMs: number }>;
  /** The latest held messages (bounded), so deciding one again gives the same answer. */
  hits: SpendCapHit['data'][];
  /** windowStart of the window whose notice went out, per `scope:window`. */
  lastNotice: Partial<Record<`${SpendScope}:${SpendWindow}`, string>>;
}

export const MAX_SPEND_HITS_KEPT = 50;

export const initialSpendState = (): SpendState => ({
  day: { startMs: 0, spentMicros: 0, reservedMicros: 0 },
  month: { startMs: 0, spentMicros: 0, reservedMicros: 0 },
  open: new Map(),
  hits: [],
  lastNotice: {},
});

/** A copy the caller may change in place (the fold's own, as state.ts does with usage). */
export const copySpendState = (s: SpendState): SpendState => ({
  day: { ...s.day },
  month: { ...s.month },
  open: new Map(s.open),
  hits: s.hits,
  lastNotice: s.lastNotice,
});

export const toMicros = (usd: number) => Math.round(usd * 1_000_000);
export const toUsd = (micros: number) => micros / 1_000_000;

const startOf = (window: SpendWindow, ms: number) => windowBounds(window, new Date(ms)).start.getTime();

/** The window's totals as of `startMs`: a later window starts from zero. */
function rolled(totals: SpendTotals, startMs: number): SpendTotals {
  return startMs > totals.startMs ? { startMs, spentMicros: 0, reservedMicros: 0 } : totals;
}

/**
 * Applies one spend event, in place on `spend` (a copy the fold owns). Constant work per event,
 * whatever the history: sums per window, never lists re-summed. A reservation is counted in the
 * windows of its own time; its SpendRecorded takes it out of those and puts the cost in.
 */
export function evolveSpend(spend: SpendState, event: SpendEvent): SpendState {
  switch (event.type) {
    case 'SpendReserved': {
      const atMs = Date.parse(event.data.at);
      const micros = toMicros(event.data.usd);
      const monthStart = startOf('month', atMs);
      if (monthStart > spend.month.startMs) {
        // Reservations of an earlier month can no longer count anywhere: forget them (once a month).
        for (const [sid, r] of spend.open) if (r.atMs < monthStart) spend.open.delete(sid);
      }
      spend.day = rolled(spend.day, startOf('day', atMs));
      spend.month = rolled(spend.month, monthStart);
      if (startOf('day', atMs) === spend.day.startMs) spend.day.reservedMicros += micros;
      if (startOf('month', atMs) === spend.month.startMs) spend.month.reservedMicros += micros;
      spend.open.set(event.data.messageSid, { micros, atMs });
      return spend;
    }
    case 'SpendRecorded': {
      const reservation = spend.open.get(event.data.messageSid);
      spend.open.delete(event.data.messageSid);
      const atMs = reservation?.atMs ?? Date.parse(event.data.at);
      const micros = toMicros(event.data.costUsd);
      for (const window of ['day', 'month'] as const) {
        const start = startOf(window, atMs);
        spend[window] = rolled(spend[window], start);
        const totals = spend[window];
        if (totals.startMs !== start) continue; // an earlier window than the latest: nothing to change
        if (reservation) totals.reservedMicros = Math.max(0, totals.reservedMicros - reservation.micros);
        totals.spentMicros += micros;
      }
      return spend;
    }
    case 'SpendCapHit': {
      const hits = [...spend.hits, event.data];
      spend.hits = hits.length > MAX_SPEND_HITS_KEPT ? hits.slice(hits.length - MAX_SPEND_HITS_KEPT) : hits;
      if (event.data.notify) {
        spend.lastNotice = {
          ...spend.lastNotice,
          [`${event.data.scope}:${event.data.window}`]: event.data.windowStart,
        };
      }
      return spend;
    }
  }
}

/** Spent plus reserved in the window holding `now` (0 once that window has turned). */
export function usedMicros(spend: SpendState, window: SpendWindow, now: Date): { spent: number; reserved: number } {
  const totals = spend[window];
  if (totals.startMs < startOf(window, now.getTime())) return { spent: 0, reserved: 0 };
  return { spent: totals.spentMicros, reserved: totals.reservedMicros };
}

/** Everyone's spend today against the daily budget (read by the worker, see activities/global-budget.ts). */
export interface GlobalBudget {
  dailyUsd: number;
  spentTodayUsd: number;
}

export interface DecideSpendInput {
  messageSid: string;
  now: Date;
  caps: SpendCaps;
  /** The most this SMS's answer can cost: held until its actual cost is recorded. */
  reserveUsd: number;
  /** Absent: no global budget. */
  global?: GlobalBudget;
}

export type SpendDecision =
  | { allowed: true; alreadyDecided: boolean; events: PendingEvent<SpendReserved>[] }
  | {
      allowed: false;
      alreadyDecided: boolean;
      scope: SpendScope;
      window: SpendWindow;
      capUsd: number;
      windowStart: string;
      retryAt: string;
      notify: boolean;
      events: PendingEvent<SpendCapHit>[];
    };

/**
 * Whether one SMS may go to the AI, money-wise. Pure, like decideUsage: decide at a revision of
 * the user stream and append the events with it. Allowed while spent + reserved in the window is
 * below the cap, so the answer that crosses the cap is the last one; with a conservative
 * reservation two texts at once cannot both take the last cent. Everyone's daily budget comes
 * first (its notice is once per person and day), then the person's month, then their day.
 */
export function decideSpend(spend: SpendState, input: DecideSpendInput): SpendDecision {
  const { messageSid, now, caps } = input;
  if (spend.open.has(messageSid)) return { allowed: true, alreadyDecided: true, events: [] };
  const earlier = spend.hits.find((h) => h.messageSid === messageSid);
  if (earlier) {
    const { scope, window, capUsd, windowStart, retryAt, notify } = earlier;
    return { allowed: false, alreadyDecided: true, scope, window, capUsd, windowStart, retryAt, notify, events: [] };
  }
  const held = (scope: SpendScope, window: SpendWindow, capUsd: number): SpendDecision => {
    const { start, end } = windowBounds(window, now);
    const windowStart = start.toISOString();
    const retryAt = end.toISOString();
    const notify = spend.lastNotice[`${scope}:${window}`] !== windowStart;
    const data = { messageSid, scope, window, capUsd, windowStart, retryAt, notify };
    return { allowed: false, alreadyDecided: false, ...data, events: [{ type: 'SpendCapHit', data }] };
  };
  if (input.global && toMicros(input.global.spentTodayUsd) >= toMicros(input.global.dailyUsd)) {
    return held('global', 'day', input.global.dailyUsd);
  }
  for (const window of ['month', 'day'] as const) {
    const cap = window === 'month' ? caps.monthUsd : caps.dayUsd;
    if (cap === undefined) continue;
    const { spent, reserved } = usedMicros(spend, window, now);
    if (spent + reserved >= toMicros(cap)) return held('user', window, cap);
  }
  return {
    allowed: true,
    alreadyDecided: false,
    events: [{ type: 'SpendReserved', data: { messageSid, usd: input.reserveUsd, at: now.toISOString() } }],
  };
}

/** A person's spend now, for the API: actual costs and open reservations, in USD. */
export function spendSummary(spend: SpendState, now: Date) {
  const day = usedMicros(spend, 'day', now);
  const month = usedMicros(spend, 'month', now);
  return {
    day: { spentUsd: toUsd(day.spent), reservedUsd: toUsd(day.reserved) },
    month: { spentUsd: toUsd(month.spent), reservedUsd: toUsd(month.reserved) },
  };
}
