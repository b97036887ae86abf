import { describe, expect, it } from 'vitest';
import { type Rng, rng } from '../../../bench/support/prng.js';
import type { UserEvent } from '../../../domain/user/events.js';
import { decideKeywordReply } from '../../../domain/user/keyword-quota.js';
import { decideUsage, type QuotaPolicy } from '../../../domain/user/quota.js';
import { decodeUserState, encodeUserState } from '../../../domain/user/snapshot.js';
import { foldUserState, userStateFrom } from '../../../domain/user/state.js';
import { userEvent } from './given.js';
import { legacyDecideKeywordReply, legacyDecideUsage, legacyFold } from './legacy-fold.js';

// Small limits so every window fills within a few dozen events.
const policy: QuotaPolicy = {
  free: { perMinute: 3, perDay: 7, perMonth: 15 },
  premium: { perMinute: 5, perDay: 12, perMonth: 25 },
};
const keywordLimits = { perHour: 2, perDay: 4 };
// Edges the windows turn at: a minute, a UTC day, a UTC month, and a year.
const EDGES = [
  '2025-11-14T12:00:00.000Z',
  '2025-11-14T00:00:00.000Z',
  '2025-12-01T00:00:00.000Z',
  '2026-01-01T00:00:00.000Z',
];

/**
 * A history of one person: mostly forward in time across minute/day/month edges, sometimes a
 * clock a little behind (out-of-order timestamps, even across a month edge), repeated message
 * sids, tier changes, opt-out/in, MORE bookkeeping, resets, keyword answers and limit hits.
 */
function history(r: Rng, length: number): { events: UserEvent[]; times: number[]; sids: string[] } {
  let t = Date.parse(r.pick(EDGES)) - r.int(0, 90_000);
  const sids: string[] = [];
  const times: number[] = [];
  const sid = () => (sids.length > 0 && r.chance(0.1) ? r.pick(sids) : `SM${sids.push(`SM${sids.length}`) - 1}`);
  const events: UserEvent[] = [
    userEvent('UserRegistered', {
      phone: '+14155550123',
      tier: r.pick(['free', 'premium'] as const),
      registeredAt: new Date(t).toISOString(),
    }),
  ];
  for (let i = 0; i < length; i++) {
    t += r.pick([0, 1, 999, 1_000, 20_000, 59_999, 3_600_000, 6 * 3_600_000, 86_400_000, 10 * 86_400_000]);
    // Sometimes a little behind (out of order), sometimes exactly on a minute edge (a window's first instant).
    const ms = r.chance(0.15) ? t - r.int(1, 120_000) : r.chance(0.2) ? t - (t % 60_000) : t;
    const at = new Date(ms).toISOString();
    times.push(Date.parse(at));
    const roll = r.next();
    if (roll < 0.5) events.push(userEvent('UsageRecorded', { messageSid: sid(), at }));
    else if (roll < 0.6)
      events.push(
        userEvent('KeywordReplyCounted', {
          messageSid: sid(),
          keyword: r.pick(['HELP', 'MORE', 'START', 'RESET']),
          at,
        }),
      );
    else if (roll < 0.68) {
      const window = r.pick(['minute', 'day', 'month'] as const);
      const windowStart = new Date(t - (t % 60_000)).toISOString();
      events.push(
        userEvent('RateLimitHit', { messageSid: sid(), window, windowStart, retryAt: at, notify: r.chance(0.5) }),
      );
    } else if (roll < 0.72)
      events.push(userEvent('TierChanged', { tier: r.pick(['free', 'premium'] as const), changedBy: 'admin' }));
    else if (roll < 0.76) events.push(userEvent('UserOptedOut', { source: 'keyword', messageSid: sid() }));
    else if (roll < 0.8) events.push(userEvent('UserOptedIn', { messageSid: sid() }));
    else if (roll < 0.86)
      events.push(
        userEvent('ReplyProgressRecorded', { messageSid: sid(), sentUpTo: r.int(0, 900), hasMore: r.chance(0.5) }),
      );
    else if (roll < 0.9) events.push(userEvent('ConversationReset', { messageSid: sid() }));
    else if (roll < 0.97)
      events.push(userEvent('ConversationTurnRecorded', { messageSid: sid(), question: `q${i}`, answer: `a${i}` }));
    else events.push(userEvent('UserProfileUpdated', { fullName: `n${i}` }));
  }
  return { events, times, sids };
}

/** Decision times around the history's own instants and the edges it crossed. */
function nowsFor(r: Rng, times: number[]): Date[] {
  const last = times.at(-1) ?? Date.parse(EDGES[0]!);
  const around = [last, last + 1, last - 1, last + 59_999, last + 86_400_000, r.pick(times.length ? times : [last])];
  const edges = EDGES.map(Date.parse).flatMap((e) => [e - 1, e, e + 1]);
  return [...around, ...edges].map((ms) => new Date(ms));
}

describe('user fold: linear and incremental, same decisions as the full fold of before', () => {
  it('given generated histories, then the fold, any split of it, and every decision equal the old full fold', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const { events, times, sids } = history(r, r.int(0, 120));
      const full = userStateFrom(events);
      expect(full, `seed ${seed}`).toEqual(legacyFold(events));

      for (const split of [0, 1, r.int(0, events.length), events.length - 1, events.length]) {
        const head = userStateFrom(events.slice(0, split));
        const frozen = structuredClone(head);
        expect(foldUserState(head, events.slice(split)), `seed ${seed} split ${split}`).toEqual(full);
        expect(head, 'the kept state is not changed by folding on').toEqual(frozen);
        // A snapshot taken at the split (activities/user-state-reader.ts) folds on the same way.
        const snapshot = decodeUserState(encodeUserState(head));
        expect(foldUserState(snapshot, events.slice(split)), `seed ${seed} snapshot at ${split}`).toEqual(full);
      }

      const legacy = legacyFold(events);
      for (const now of nowsFor(r, times)) {
        for (const messageSid of ['SMnew', ...sids.slice(-3), r.pick(sids.length ? sids : ['SMx'])]) {
          const input = { messageSid, now, policy };
          expect(decideUsage(full, input), `seed ${seed} ${messageSid} ${now.toISOString()}`).toEqual(
            legacyDecideUsage(legacy, input),
          );
          const keyword = { messageSid, keyword: 'HELP', now, limits: keywordLimits };
          expect(decideKeywordReply(full, keyword)).toEqual(legacyDecideKeywordReply(legacy, keyword));
        }
      }
    }
  });

  it('given 10,000 units this month, then the fold takes well under a second and counts every one', () => {
    const monthStart = Date.parse('2025-11-01T00:00:00.000Z');
    const events: UserEvent[] = Array.from({ length: 10_000 }, (_, i) =>
      userEvent('UsageRecorded', { messageSid: `SM${i}`, at: new Date(monthStart + i * 60_000).toISOString() }),
    );
    const started = performance.now();
    const state = userStateFrom(events);
    // Before: 20.8 s on this machine under load (quadratic); linear it is a few ms. A generous bound, so load cannot fail it.
    expect(performance.now() - started).toBeLessThan(1_500);
    const now = new Date(monthStart + 10_000 * 60_000);
    const premium = { ...policy, premium: { perMinute: 100, perDay: 100_000, perMonth: 10_001 } };
    expect(decideUsage({ ...state, tier: 'premium' }, { messageSid: 'SMa', now, policy: premium }).allowed).toBe(true);
    const next = foldUserState(state, [userEvent('UsageRecorded', { messageSid: 'SMa', at: now.toISOString() })]);
    expect(decideUsage({ ...next, tier: 'premium' }, { messageSid: 'SMb', now, policy: premium })).toMatchObject({
      allowed: false,
      window: 'month',
    });
  });
});
