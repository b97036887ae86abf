import { describe, expect, it } from 'vitest';
import { conversationHistory } from '../../../domain/user/conversation.js';
import { evolve, initialUserState, MAX_TURNS_KEPT } from '../../../domain/user/state.js';
import { given, registered, usage, userEvent } from './given.js';

const turn = (i: number) =>
  userEvent('ConversationTurnRecorded', { messageSid: `SM${i}`, question: `q${i}`, answer: `a${i}` });

describe('user state', () => {
  it('given no events, then the person is unknown, free, subscribed and without history', () => {
    expect(given()).toEqual(initialUserState);
    expect(initialUserState).toMatchObject({ registered: false, tier: 'free', optedOut: false, usage: [] });
  });

  it('given a registration, then the person is registered with their tier', () => {
    expect(given(registered('premium'))).toMatchObject({ registered: true, phone: '+14155550123', tier: 'premium' });
  });

  it('given a tier change, then the new tier applies', () => {
    expect(given(registered(), userEvent('TierChanged', { tier: 'premium', changedBy: 'admin' })).tier).toBe('premium');
  });

  it('given STOP then START, then the person is subscribed again', () => {
    const out = userEvent('UserOptedOut', { source: 'keyword', messageSid: 'SM1' });
    expect(given(registered(), out).optedOut).toBe(true);
    expect(given(registered(), out, userEvent('UserOptedIn', { messageSid: 'SM2' })).optedOut).toBe(false);
  });

  it('given usage in an earlier month, when a unit is taken this month, then the old units are dropped', () => {
    const state = given(
      registered(),
      ...usage(5, '2025-10-31T23:59:50.000Z', 'SMoct'),
      ...usage(2, '2025-11-02T10:00:00.000Z', 'SMnov'),
    );
    expect(state.usage.map((u) => u.messageSid)).toEqual(['SMnov0', 'SMnov1']);
  });

  it('given a notified rate limit hit, then its window is remembered as notified', () => {
    const hit = (notify: boolean, messageSid: string) =>
      userEvent('RateLimitHit', {
        messageSid,
        window: 'day',
        windowStart: '2025-11-14T00:00:00.000Z',
        retryAt: '2025-11-15T00:00:00.000Z',
        notify,
      });
    const state = given(registered(), hit(true, 'SM1'), hit(false, 'SM2'));
    expect(state.lastRateLimitNotice).toEqual({ day: '2025-11-14T00:00:00.000Z' });
    expect(state.rateLimitHits.map((h) => h.messageSid)).toEqual(['SM1', 'SM2']);
  });

  it('given many turns, then only the latest are kept, and RESET forgets them all', () => {
    const turns = Array.from({ length: MAX_TURNS_KEPT + 5 }, (_, i) => turn(i));
    const state = given(registered(), ...turns);
    expect(state.conversation).toHaveLength(MAX_TURNS_KEPT);
    expect(state.conversation.at(-1)?.question).toBe(`q${MAX_TURNS_KEPT + 4}`);
    expect(evolve(state, userEvent('ConversationReset', { messageSid: 'SMr' })).conversation).toEqual([]);
  });

  it('given an answer cut short, then MORE has a part pending; when fully sent or RESET, then nothing is pending', () => {
    const cut = userEvent('ReplyProgressRecorded', { messageSid: 'SM1', sentUpTo: 300, hasMore: true });
    expect(given(registered(), cut).pendingMore).toEqual({ messageSid: 'SM1', sentUpTo: 300 });
    const done = userEvent('ReplyProgressRecorded', { messageSid: 'SM1', sentUpTo: 420, hasMore: false });
    expect(given(registered(), cut, done).pendingMore).toBeUndefined();
    expect(given(registered(), cut, userEvent('ConversationReset', { messageSid: 'SMr' })).pendingMore).toBeUndefined();
  });

  it('given profile updates, then fields merge and omitted fields are kept', () => {
    const state = given(
      registered(),
      userEvent('UserProfileUpdated', { email: 'a@example.com', fullName: 'Ada' }),
      userEvent('UserProfileUpdated', { fullName: 'Ada L.' }),
    );
    expect(state.profile).toEqual({ email: 'a@example.com', fullName: 'Ada L.' });
  });
});

describe('conversationHistory', () => {
  it('given turns, then the last N come back as user/assistant messages, oldest first', () => {
    const state = given(registered(), turn(1), turn(2), turn(3));
    expect(conversationHistory(state, 2)).toEqual([
      { role: 'user', content: 'q2' },
      { role: 'assistant', content: 'a2' },
      { role: 'user', content: 'q3' },
      { role: 'assistant', content: 'a3' },
    ]);
  });

  it('given a reset after the turns, then there is no history', () => {
    const state = given(registered(), turn(1), userEvent('ConversationReset', { messageSid: 'SMr' }));
    expect(conversationHistory(state, 5)).toEqual([]);
    expect(conversationHistory(given(registered(), turn(1)), 0)).toEqual([]);
  });
});
