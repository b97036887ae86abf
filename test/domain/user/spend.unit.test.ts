import { describe, expect, it } from 'vitest';
import { decideSpend, type SpendDecision, spendSummary } from '../../../domain/user/spend.js';
import { evolve, foldUserState, type UserState } from '../../../domain/user/state.js';
import { given, registered, userEvent } from './given.js';

const reserved = (messageSid: string, usd: number, at: string) => userEvent('SpendReserved', { messageSid, usd, at });
const recorded = (messageSid: string, costUsd: number, at: string) =>
  userEvent('SpendRecorded', { messageSid, costUsd, at });

/** Applies a decision's events, as appending them would. */
function apply(state: UserState, decision: SpendDecision): UserState {
  let next = state;
  for (const e of decision.events) next = evolve(next, userEvent(e.type, e.data as never));
  return next;
}

describe('decideSpend', () => {
  const now = new Date('2025-11-14T15:20:20.000Z');
  const caps = { dayUsd: 0.1, monthUsd: 1 };

  it('given room under the caps, then the SMS goes to the AI and reserves its estimate', () => {
    const decision = decideSpend(given(registered()).spend, { messageSid: 'SM1', now, caps, reserveUsd: 0.02 });
    expect(decision).toEqual({
      allowed: true,
      alreadyDecided: false,
      events: [{ type: 'SpendReserved', data: { messageSid: 'SM1', usd: 0.02, at: now.toISOString() } }],
    });
  });

  it('given spent + reserved just under the day cap, then one more is allowed: the one that crosses is the last', () => {
    let state = given(registered(), recorded('SMa', 0.09, '2025-11-14T10:00:00.000Z'));
    const crossing = decideSpend(state.spend, { messageSid: 'SMb', now, caps, reserveUsd: 0.05 });
    expect(crossing.allowed).toBe(true);
    state = apply(state, crossing);
    state = evolve(state, recorded('SMb', 0.04, now.toISOString()));
    expect(spendSummary(state.spend, now).day).toEqual({ spentUsd: 0.13, reservedUsd: 0 });

    const held = decideSpend(state.spend, { messageSid: 'SMc', now, caps, reserveUsd: 0.05 });
    expect(held).toMatchObject({
      allowed: false,
      scope: 'user',
      window: 'day',
      capUsd: 0.1,
      windowStart: '2025-11-14T00:00:00.000Z',
      retryAt: '2025-11-15T00:00:00.000Z',
      notify: true,
    });
    state = apply(state, held);
    // When another arrives the same day, then it is held silently
    expect(decideSpend(state.spend, { messageSid: 'SMd', now, caps, reserveUsd: 0.05 })).toMatchObject({
      allowed: false,
      notify: false,
    });
    // When the day turns, then the SMS is allowed again
    const tomorrow = new Date('2025-11-15T00:00:01.000Z');
    expect(decideSpend(state.spend, { messageSid: 'SMe', now: tomorrow, caps, reserveUsd: 0.05 }).allowed).toBe(true);
  });

  it('given one cent left, when two SMS decide at the same revision, then the second sees the first reservation', () => {
    const state = given(registered(), recorded('SMa', 0.09, '2025-11-14T10:00:00.000Z'));
    const first = decideSpend(state.spend, { messageSid: 'SMx', now, caps, reserveUsd: 0.03 });
    expect(first.allowed).toBe(true);
    // The second decided on the old revision loses its append; decided again after the first, it is held.
    const again = decideSpend(apply(state, first).spend, { messageSid: 'SMy', now, caps, reserveUsd: 0.03 });
    expect(again).toMatchObject({ allowed: false, window: 'day' });
  });

  it('given the actual cost, then it replaces the reservation in the windows of the reservation', () => {
    const state = given(
      registered(),
      reserved('SM1', 0.05, '2025-11-14T10:00:00.000Z'),
      reserved('SM2', 0.05, '2025-11-14T10:00:01.000Z'),
      recorded('SM1', 0.001, '2025-11-14T10:00:05.000Z'),
    );
    expect(spendSummary(state.spend, now)).toEqual({
      day: { spentUsd: 0.001, reservedUsd: 0.05 },
      month: { spentUsd: 0.001, reservedUsd: 0.05 },
    });
    expect([...state.spend.open.keys()]).toEqual(['SM2']);
  });

  it('given last month spend, then the month and day start from zero', () => {
    const state = given(registered(), recorded('SMold', 5, '2025-10-31T23:00:00.000Z'));
    expect(spendSummary(state.spend, now)).toEqual({
      day: { spentUsd: 0, reservedUsd: 0 },
      month: { spentUsd: 0, reservedUsd: 0 },
    });
    expect(decideSpend(state.spend, { messageSid: 'SMn', now, caps, reserveUsd: 0.01 }).allowed).toBe(true);
  });

  it('given the month cap reached, then the month window holds the SMS until the 1st', () => {
    const state = given(registered(), recorded('SMa', 1, '2025-11-02T10:00:00.000Z'));
    expect(decideSpend(state.spend, { messageSid: 'SMm', now, caps, reserveUsd: 0.01 })).toMatchObject({
      allowed: false,
      window: 'month',
      retryAt: '2025-12-01T00:00:00.000Z',
    });
  });

  it('given everyone spent the daily budget, then the global budget holds the SMS, notifying each person once a day', () => {
    const global = { dailyUsd: 10, spentTodayUsd: 10 };
    let state = given(registered());
    const first = decideSpend(state.spend, { messageSid: 'SMg1', now, caps: {}, reserveUsd: 0.01, global });
    expect(first).toMatchObject({ allowed: false, scope: 'global', window: 'day', capUsd: 10, notify: true });
    state = apply(state, first);
    const second = decideSpend(state.spend, { messageSid: 'SMg2', now, caps: {}, reserveUsd: 0.01, global });
    expect(second).toMatchObject({ allowed: false, scope: 'global', notify: false });
    // A raised budget lets the SMS through
    const raised = { dailyUsd: 20, spentTodayUsd: 10 };
    expect(
      decideSpend(state.spend, { messageSid: 'SMg3', now, caps: {}, reserveUsd: 0.01, global: raised }).allowed,
    ).toBe(true);
  });

  it('given a message already decided, then the same answer comes back with nothing to append', () => {
    let state = given(registered());
    const allowed = decideSpend(state.spend, { messageSid: 'SM1', now, caps, reserveUsd: 0.2 });
    state = apply(state, allowed);
    expect(decideSpend(state.spend, { messageSid: 'SM1', now, caps, reserveUsd: 0.2 })).toEqual({
      allowed: true,
      alreadyDecided: true,
      events: [],
    });
    const held = decideSpend(state.spend, { messageSid: 'SM2', now, caps, reserveUsd: 0.2 });
    state = apply(state, held);
    expect(decideSpend(state.spend, { messageSid: 'SM2', now, caps, reserveUsd: 0.2 })).toMatchObject({
      allowed: false,
      alreadyDecided: true,
      events: [],
    });
  });

  it('given no caps, then nothing is held however much was spent', () => {
    const state = given(registered(), recorded('SMa', 1000, '2025-11-14T10:00:00.000Z'));
    expect(decideSpend(state.spend, { messageSid: 'SMz', now, caps: {}, reserveUsd: 1 }).allowed).toBe(true);
  });

  it('folds in one pass, split anywhere, to the same state, and leaves the kept state untouched', () => {
    const events = [
      registered(),
      ...Array.from({ length: 40 }, (_, i) => [
        reserved(`SM${i}`, 0.01, new Date(Date.parse('2025-10-30T00:00:00.000Z') + i * 3_600_000).toISOString()),
        ...(i % 3 === 0
          ? []
          : [
              recorded(`SM${i}`, 0.001, new Date(Date.parse('2025-10-30T00:00:00.000Z') + i * 3_600_000).toISOString()),
            ]),
      ]).flat(),
    ];
    const whole = given(...events);
    for (const split of [1, 7, 40, 79]) {
      const head = given(...events.slice(0, split));
      const snapshot = structuredClone(head.spend);
      expect(foldUserState(head, events.slice(split)).spend).toEqual(whole.spend);
      expect(head.spend).toEqual(snapshot);
    }
  });
});
