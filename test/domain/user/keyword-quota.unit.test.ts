import { describe, expect, it } from 'vitest';
import { decideKeywordReply } from '../../../domain/user/keyword-quota.js';
import { given, registered, userEvent } from './given.js';

const limits = { perHour: 3, perDay: 5 };
const counted = (sid: string, at: string) => userEvent('KeywordReplyCounted', { messageSid: sid, keyword: 'HELP', at });

describe('keyword answers have their own small quota per sender', () => {
  const now = new Date('2026-11-30T12:00:00.000Z');

  it('given a new sender, then HELP is answered and counted', () => {
    const decision = decideKeywordReply(given(registered()), { messageSid: 'SM1', keyword: 'HELP', now, limits });
    expect(decision).toMatchObject({ allowed: true, alreadyDecided: false });
    expect(decision.events).toEqual([
      { type: 'KeywordReplyCounted', data: { messageSid: 'SM1', keyword: 'HELP', at: now.toISOString() } },
    ]);
  });

  it('given 3 answers in the last hour, then the 4th is withheld; an hour later it is answered again', () => {
    const state = given(
      registered(),
      counted('SM1', '2026-11-30T11:10:00.000Z'),
      counted('SM2', '2026-11-30T11:20:00.000Z'),
      counted('SM3', '2026-11-30T11:30:00.000Z'),
    );
    expect(decideKeywordReply(state, { messageSid: 'SM4', keyword: 'HELP', now, limits }).allowed).toBe(false);
    const later = new Date('2026-11-30T12:30:01.000Z');
    expect(decideKeywordReply(state, { messageSid: 'SM4', keyword: 'HELP', now: later, limits }).allowed).toBe(true);
  });

  it('given 5 answers spread over the day, then the 6th is withheld by the daily limit', () => {
    const hours = ['01', '03', '05', '07', '09'];
    const state = given(registered(), ...hours.map((h, i) => counted(`SM${i}`, `2026-11-30T${h}:00:00.000Z`)));
    expect(decideKeywordReply(state, { messageSid: 'SM9', keyword: 'MORE', now, limits }).allowed).toBe(false);
  });

  it('given the same message decided again (an activity retry), then the same answer and nothing new to append', () => {
    const state = given(registered(), counted('SM1', '2026-11-30T11:59:00.000Z'));
    expect(decideKeywordReply(state, { messageSid: 'SM1', keyword: 'HELP', now, limits })).toEqual({
      allowed: true,
      alreadyDecided: true,
      events: [],
    });
  });
});
