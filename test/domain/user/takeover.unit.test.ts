import { describe, expect, it } from 'vitest';
import { activeTakeover, decideRelease, decideTakeover, TakeoverConflictError } from '../../../domain/user/takeover.js';
import { given, registered, userEvent } from './given.js';

// userEvent stamps occurredAt 2025-11-14T12:00:00Z.
const NOON = new Date('2025-11-14T12:00:00.000Z');
const hoursAfterNoon = (h: number) => new Date(NOON.getTime() + h * 3600_000);
const takenOver = (until: string, reason?: string) =>
  userEvent('ConversationTakenOver', { by: 'sam@example.com', until, ...(reason ? { reason } : {}) });

describe('the takeover rule', () => {
  it('given no takeover, when asked at any time, then the AI answers', () => {
    expect(activeTakeover(given(registered()), NOON)).toBeUndefined();
  });

  it('given a takeover until 14:00, then it holds at 13:59:59 and is over at 14:00 (expiry is only time)', () => {
    const state = given(registered(), takenOver('2025-11-14T14:00:00.000Z', 'angry customer'));
    expect(activeTakeover(state, new Date('2025-11-14T13:59:59.999Z'))).toEqual({
      by: 'sam@example.com',
      reason: 'angry customer',
      since: '2025-11-14T12:00:00.000Z',
      until: '2025-11-14T14:00:00.000Z',
    });
    expect(activeTakeover(state, new Date('2025-11-14T14:00:00.000Z'))).toBeUndefined();
  });

  it('given a takeover then a release, then the AI answers again', () => {
    const state = given(
      registered(),
      takenOver('2025-11-15T12:00:00.000Z'),
      userEvent('ConversationReleased', { by: 'ops-token' }),
    );
    expect(state.takeover).toBeUndefined();
    expect(activeTakeover(state, NOON)).toBeUndefined();
  });

  it('when ops take over a free conversation, then it is theirs for the configured hours, reason kept', () => {
    const decided = decideTakeover(given(registered()), { by: 'sam@example.com', reason: 'VIP', now: NOON, hours: 24 });
    expect(decided).toEqual({
      type: 'ConversationTakenOver',
      data: { by: 'sam@example.com', reason: 'VIP', until: hoursAfterNoon(24).toISOString() },
    });
    // No reason given: none recorded (not an empty string).
    expect(decideTakeover(given(registered()), { by: 'x', now: NOON, hours: 0.5 }).data).toEqual({
      by: 'x',
      until: hoursAfterNoon(0.5).toISOString(),
    });
  });

  it('given a takeover that holds, when someone takes over again, then it is refused (not extended)', () => {
    const state = given(registered(), takenOver('2025-11-14T14:00:00.000Z'));
    const again = () => decideTakeover(state, { by: 'kim@example.com', now: hoursAfterNoon(1), hours: 24 });
    expect(again).toThrow(TakeoverConflictError);
    expect(again).toThrow(/sam@example\.com/);
  });

  it('given a takeover that expired, when someone takes over, then a new one starts', () => {
    const state = given(registered(), takenOver('2025-11-14T14:00:00.000Z'));
    const decided = decideTakeover(state, { by: 'kim@example.com', now: hoursAfterNoon(3), hours: 1 });
    expect(decided.data).toEqual({ by: 'kim@example.com', until: hoursAfterNoon(4).toISOString() });
  });

  it('release: allowed while the takeover holds; refused when there is none or it expired', () => {
    const state = given(registered(), takenOver('2025-11-14T14:00:00.000Z'));
    expect(decideRelease(state, { by: 'kim@example.com', now: hoursAfterNoon(1) })).toEqual({
      type: 'ConversationReleased',
      data: { by: 'kim@example.com' },
    });
    expect(() => decideRelease(state, { by: 'kim', now: hoursAfterNoon(2) })).toThrow(TakeoverConflictError);
    expect(() => decideRelease(given(registered()), { by: 'kim', now: NOON })).toThrow(TakeoverConflictError);
  });
});
