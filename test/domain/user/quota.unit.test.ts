import { describe, expect, it } from 'vitest';
import { decideUsage, defaultQuotaPolicy, windowBounds } from '../../../domain/user/quota.js';
import { evolve, type UserState } from '../../../domain/user/state.js';
import { given, registered, usage, userEvent } from './given.js';

/** Applies a decision's events, as appending them would. */
function apply(state: UserState, decision: ReturnType<typeof decideUsage>): UserState {
  let next = state;
  for (const e of decision.events) next = evolve(next, userEvent(e.type, e.data as never));
  return next;
}

describe('decideUsage', () => {
  const now = new Date('2025-11-14T15:20:20.000Z');

  it('given a free user with room left, then the message takes one unit', () => {
    const decision = decideUsage(given(registered()), { messageSid: 'SMnew', now });
    expect(decision).toEqual({
      allowed: true,
      alreadyDecided: false,
      events: [{ type: 'UsageRecorded', data: { messageSid: 'SMnew', at: '2025-11-14T15:20:20.000Z' } }],
    });
  });

  it('given 10 texts this minute, when an 11th arrives, then the minute limit stops it until the next minute', () => {
    const state = given(registered(), ...usage(10, '2025-11-14T15:20:00.000Z'));
    const decision = decideUsage(state, { messageSid: 'SM11', now });
    expect(decision).toMatchObject({
      allowed: false,
      window: 'minute',
      limit: 10,
      windowStart: '2025-11-14T15:20:00.000Z',
      retryAt: '2025-11-14T15:21:00.000Z',
      notify: true,
    });
    expect(decision.events).toEqual([
      {
        type: 'RateLimitHit',
        data: {
          messageSid: 'SM11',
          window: 'minute',
          windowStart: '2025-11-14T15:20:00.000Z',
          retryAt: '2025-11-14T15:21:00.000Z',
          notify: true,
        },
      },
    ]);
  });

  it('given the limit was already notified in this window, when another text arrives, then no second notice', () => {
    let state = given(registered(), ...usage(10, '2025-11-14T15:20:00.000Z'));
    state = apply(state, decideUsage(state, { messageSid: 'SM11', now }));
    const second = decideUsage(state, { messageSid: 'SM12', now: new Date('2025-11-14T15:20:30.000Z') });
    expect(second).toMatchObject({ allowed: false, window: 'minute', notify: false });
  });

  it('given the next minute has begun, then texts are allowed again', () => {
    let state = given(registered(), ...usage(10, '2025-11-14T15:20:00.000Z'));
    state = apply(state, decideUsage(state, { messageSid: 'SM11', now }));
    const later = decideUsage(state, { messageSid: 'SM12', now: new Date('2025-11-14T15:21:01.000Z') });
    expect(later.allowed).toBe(true);
  });

  it('given 20 texts today (free), then the day limit stops the next until UTC midnight', () => {
    const state = given(registered(), ...usage(20, '2025-11-14T08:00:00.000Z'));
    expect(decideUsage(state, { messageSid: 'SM21', now })).toMatchObject({
      allowed: false,
      window: 'day',
      limit: 20,
      retryAt: '2025-11-15T00:00:00.000Z',
      notify: true,
    });
  });

  it('given both the day and the minute are full, then the day is reported (the later reset)', () => {
    const state = given(
      registered(),
      ...usage(10, '2025-11-14T08:00:00.000Z', 'SMam'),
      ...usage(10, '2025-11-14T15:20:00.000Z', 'SMpm'),
    );
    expect(decideUsage(state, { messageSid: 'SMx', now })).toMatchObject({ allowed: false, window: 'day' });
  });

  it('given 200 texts this month (free), then the month limit stops the next until the 1st', () => {
    const days = Array.from({ length: 10 }, (_, d) =>
      usage(20, `2025-11-${String(d + 1).padStart(2, '0')}T08:00:00.000Z`, `SMd${d}-`),
    ).flat();
    const state = given(registered(), ...days);
    expect(decideUsage(state, { messageSid: 'SM201', now })).toMatchObject({
      allowed: false,
      window: 'month',
      limit: 200,
      retryAt: '2025-12-01T00:00:00.000Z',
    });
  });

  it('given a premium user, then the premium limits apply', () => {
    const state = given(registered('premium'), ...usage(20, '2025-11-14T08:00:00.000Z'));
    expect(decideUsage(state, { messageSid: 'SM21', now }).allowed).toBe(true);
    expect(defaultQuotaPolicy.premium).toEqual({ perMinute: 30, perDay: 500, perMonth: 10_000 });
  });

  it('given a custom policy, then it is used', () => {
    const policy = { free: { perMinute: 1, perDay: 1, perMonth: 1 }, premium: defaultQuotaPolicy.premium };
    const state = given(registered(), ...usage(1, '2025-11-02T00:00:00.000Z'));
    expect(decideUsage(state, { messageSid: 'SM2', now, policy })).toMatchObject({ allowed: false, window: 'month' });
  });

  it('given a message already allowed, when decided again, then the same answer and no new events', () => {
    let state = given(registered());
    const first = decideUsage(state, { messageSid: 'SMsame', now });
    state = apply(state, first);
    const again = decideUsage(state, { messageSid: 'SMsame', now: new Date('2025-11-14T15:25:00.000Z') });
    expect(again).toEqual({ allowed: true, alreadyDecided: true, events: [] });
    expect(state.usage).toHaveLength(1);
  });

  it('given a message already limited, when decided again (even after the window), then the same answer', () => {
    let state = given(registered(), ...usage(10, '2025-11-14T15:20:00.000Z'));
    const first = decideUsage(state, { messageSid: 'SM11', now });
    state = apply(state, first);
    const again = decideUsage(state, { messageSid: 'SM11', now: new Date('2025-11-14T15:30:00.000Z') });
    expect(again).toEqual({ ...first, alreadyDecided: true, events: [] });
  });
});

describe('windowBounds', () => {
  it('given a time, then windows are the UTC minute, day and calendar month around it', () => {
    const now = new Date('2025-12-31T23:59:59.500Z');
    expect(windowBounds('minute', now)).toEqual({
      start: new Date('2025-12-31T23:59:00.000Z'),
      end: new Date('2026-01-01T00:00:00.000Z'),
    });
    expect(windowBounds('day', now).end).toEqual(new Date('2026-01-01T00:00:00.000Z'));
    expect(windowBounds('month', now)).toEqual({
      start: new Date('2025-12-01T00:00:00.000Z'),
      end: new Date('2026-01-01T00:00:00.000Z'),
    });
  });
});
