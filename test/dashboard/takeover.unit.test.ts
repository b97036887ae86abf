import { describe, expect, it } from 'vitest';
import { MAX_REPLY_CHARS, replyProblem, takeoverBanner } from '../../dashboard/src/lib/users/takeover.js';

describe('user page: takeover banner and the compose box rules', () => {
  it('the banner names who has the conversation and until when', () => {
    const banner = takeoverBanner(
      { by: 'sam@example.com', since: '2026-11-30T09:00:00.000Z', until: '2026-12-01T09:00:00.000Z' },
      'UTC',
    );
    expect(banner).toBe('Taken over by sam@example.com until Dec 1, 2026, 09:00');
  });

  it('a reply must not be blank and must fit 1600 characters (code points, as the API counts)', () => {
    expect(replyProblem('')).toBe('Write something first.');
    expect(replyProblem(' \n\t ')).toBe('Write something first.');
    expect(replyProblem('Hi!')).toBeUndefined();
    expect(replyProblem('😀'.repeat(MAX_REPLY_CHARS))).toBeUndefined();
    expect(replyProblem('x'.repeat(MAX_REPLY_CHARS + 1))).toBe('At most 1600 characters.');
  });
});
