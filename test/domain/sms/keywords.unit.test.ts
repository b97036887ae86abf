import { describe, expect, it } from 'vitest';
import {
  describeWhen,
  detectKeyword,
  ERROR_TEXT,
  HELP_TEXT,
  NOTHING_MORE_TEXT,
  RESET_CONFIRMATION,
  rateLimitText,
  START_CONFIRMATION,
  STOP_CONFIRMATION,
} from '../../../domain/sms/keywords.js';
import { measure } from '../../../domain/sms/segments.js';

describe('detectKeyword', () => {
  it.each([
    ['STOP', 'STOP'],
    ['stopall', 'STOP'],
    ['Unsubscribe', 'STOP'],
    ['end', 'STOP'],
    ['QUIT', 'STOP'],
    ['cancel', 'STOP'],
    ['revoke', 'STOP'],
    ['optout', 'STOP'],
    ['start', 'START'],
    ['UNSTOP', 'START'],
    ['help', 'HELP'],
    ['Info', 'HELP'],
    ['reset', 'RESET'],
    ['more', 'MORE'],
  ])('given the text %j, then it is the %s keyword', (body, keyword) => {
    expect(detectKeyword(body)?.keyword).toBe(keyword);
  });

  it('given surrounding whitespace and trailing punctuation, then the keyword is still found', () => {
    expect(detectKeyword('  stop.  ')).toEqual({ keyword: 'STOP', word: 'stop' });
    expect(detectKeyword('Stop!')).toEqual({ keyword: 'STOP', word: 'Stop' });
    expect(detectKeyword('MORE?!')).toEqual({ keyword: 'MORE', word: 'MORE' });
    expect(detectKeyword('\nhelp\n')).toEqual({ keyword: 'HELP', word: 'help' });
  });

  it('given a sentence containing a keyword, then it is not a keyword', () => {
    expect(detectKeyword('stop the bot')).toBeUndefined();
    expect(detectKeyword('how do I stop a thread?')).toBeUndefined();
    expect(detectKeyword('more please')).toBeUndefined();
    expect(detectKeyword('stopping')).toBeUndefined();
    expect(detectKeyword('')).toBeUndefined();
    expect(detectKeyword('...')).toBeUndefined();
  });

  it('given YES from a subscribed sender, then it is an ordinary message', () => {
    expect(detectKeyword('yes')).toBeUndefined();
    expect(detectKeyword('yes', { optedOut: false })).toBeUndefined();
  });

  it('given YES from an opted-out sender, then it opts them back in as the carrier does', () => {
    expect(detectKeyword('Yes', { optedOut: true })).toEqual({ keyword: 'START', word: 'Yes' });
  });
});

describe('fixed texts', () => {
  it.each([
    ['STOP_CONFIRMATION', STOP_CONFIRMATION],
    ['START_CONFIRMATION', START_CONFIRMATION],
    ['RESET_CONFIRMATION', RESET_CONFIRMATION],
    ['NOTHING_MORE_TEXT', NOTHING_MORE_TEXT],
    ['ERROR_TEXT', ERROR_TEXT],
  ])('given %s, then it is one GSM-7 segment', (_name, text) => {
    expect(measure(text)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });

  it('given HELP_TEXT, then it is GSM-7, at most two segments, and names the keywords', () => {
    expect(measure(HELP_TEXT).encoding).toBe('GSM-7');
    expect(measure(HELP_TEXT).segments).toBeLessThanOrEqual(2);
    for (const word of ['MORE', 'RESET', 'STOP']) expect(HELP_TEXT).toContain(word);
  });

  it('given the STOP confirmation, then it says how to come back', () => {
    expect(STOP_CONFIRMATION).toMatch(/unsubscribed/i);
    expect(STOP_CONFIRMATION).toContain('Reply START to resubscribe');
  });
});

describe('rateLimitText', () => {
  const now = new Date('2025-11-14T15:20:20Z');

  it('given the minute limit, when the minute ends in 40 s, then the text says about 40 seconds', () => {
    const text = rateLimitText('minute', new Date('2025-11-14T15:21:00Z'), now);
    expect(text).toContain('in about 40 seconds');
    expect(measure(text)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });

  it('given the day limit, when the UTC day ends in under 20 hours, then the text counts hours', () => {
    const text = rateLimitText('day', new Date('2025-11-15T00:00:00Z'), now);
    expect(text).toContain('in about 9 hours');
    expect(text).toMatch(/today's message limit/);
  });

  it('given the day limit hit just after midnight, then the text says tomorrow', () => {
    const justAfterMidnight = new Date('2025-11-14T01:00:00Z');
    expect(rateLimitText('day', new Date('2025-11-15T00:00:00Z'), justAfterMidnight)).toContain('tomorrow');
  });

  it('given the month limit, then the text names the day it resets', () => {
    const text = rateLimitText('month', new Date('2025-12-01T00:00:00Z'), now);
    expect(text).toContain('on Dec 1');
    expect(measure(text)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });

  it('given short waits, then the wording stays natural', () => {
    expect(describeWhen(new Date(now.getTime() + 3_000), now)).toBe('in a few seconds');
    expect(describeWhen(new Date(now.getTime() + 60_000 * 5), now)).toBe('in about 5 minutes');
    expect(describeWhen(new Date(now.getTime() + 3_600_000), now)).toBe('in about 60 minutes');
    expect(describeWhen(new Date(now.getTime() + 3_600_000 * 2), now)).toBe('in about 2 hours');
  });
});
