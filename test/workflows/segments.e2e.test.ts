import { describe, expect, it } from 'vitest';
import { NOTHING_MORE_TEXT } from '../../domain/sms/keywords.js';
import { DEFAULT_MORE_HINT } from '../../domain/sms/segments.js';
import { useSmsStack } from '../support/sms-stack.js';
import { dataOf, nextPhone, repliesTo, textAndWait } from './helpers.js';

const sentences = (n: number) =>
  Array.from({ length: n }, (_, i) => `Step ${i + 1} of the answer explains one more useful detail.`).join(' ');

describe('smsTask replies within the segment budget', () => {
  const stack = useSmsStack();

  const replySent = async (sid: string) => {
    const [sent] = dataOf(await stack.events(`sms-${sid}`), 'ReplySent');
    if (!sent) throw new Error(`no ReplySent on sms-${sid}`);
    return sent;
  };

  it('an emoji makes the reply UCS-2: 70 units fit one segment, more is split at 67', async () => {
    const from = nextPhone();
    const short = 'Sure! 😀 Here is a short answer.';
    stack.openai.knobs.reply = short;
    const one = await textAndWait(stack, from, 'Say hi with an emoji');
    expect(await replySent(one.sid)).toMatchObject({ body: short, encoding: 'UCS-2', segments: 1, hasMore: false });

    // 100 UTF-16 units (the emoji is two): ceil(100 / 67) = 2 segments in UCS-2, 1 had it been GSM-7.
    const long = `Great question 😀 ${'x'.repeat(100 - 'Great question 😀 '.length)}`;
    expect(long.length).toBe(100);
    stack.openai.knobs.reply = long;
    const two = await textAndWait(stack, from, 'And a longer one');
    expect(await replySent(two.sid)).toMatchObject({ body: long, encoding: 'UCS-2', segments: 2 });
    expect(repliesTo(stack, from).map((m) => m.numSegments)).toEqual([1, 2]);
  });

  it('a long answer is cut at the budget with the MORE hint; MORE sends the rest, then says nothing more', async () => {
    const from = nextPhone();
    const answer = sentences(28);
    expect(answer.length).toBeGreaterThanOrEqual(1500);
    stack.openai.knobs.reply = answer;

    // When the question is answered, the first part fits 3 segments and ends with the hint
    const question = await textAndWait(stack, from, 'Explain the whole thing in detail please');
    expect(question.outcome).toBe('answered');
    const first = await replySent(question.sid);
    expect(first).toMatchObject({ kind: 'answer', encoding: 'GSM-7', hasMore: true });
    expect(first.segments).toBeLessThanOrEqual(3);
    expect(first.body.endsWith(`detail.${DEFAULT_MORE_HINT}`)).toBe(true);

    // Then each MORE continues where the last part stopped, until the answer is complete
    const parts = [first.body.slice(0, -DEFAULT_MORE_HINT.length)];
    let sentUpTo = first.sentUpTo ?? 0;
    for (let more = 0; more < 10; more++) {
      const next = await textAndWait(stack, from, 'MORE');
      expect(next.outcome).toBe('keyword');
      const part = await replySent(next.sid);
      expect(part).toMatchObject({ kind: 'continuation', continuesMessageSid: question.sid });
      expect(part.segments).toBeLessThanOrEqual(3);
      expect(part.sentUpTo).toBeGreaterThan(sentUpTo);
      sentUpTo = part.sentUpTo ?? 0;
      parts.push(part.hasMore ? part.body.slice(0, -DEFAULT_MORE_HINT.length) : part.body);
      if (!part.hasMore) break;
    }
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(parts.join(' ')).toBe(answer);
    expect(sentUpTo).toBe(answer.length);

    // And a MORE after the end says there is nothing more
    const done = await textAndWait(stack, from, 'more');
    expect(done.outcome).toBe('nothing_to_continue');
    expect(repliesTo(stack, from).at(-1)?.body).toBe(NOTHING_MORE_TEXT);

    // MORE never calls the model or takes a quota unit
    expect(stack.openai.requests).toHaveLength(1);
    expect(dataOf(await stack.events(`user-${from}`), 'UsageRecorded')).toHaveLength(1);
    expect(repliesTo(stack, from)).toHaveLength(parts.length + 1);
  });

  it('a long UCS-2 answer is cut at 3 UCS-2 segments', async () => {
    const from = nextPhone();
    stack.openai.knobs.reply = Array.from({ length: 12 }, (_, i) => `Café stop ${i + 1} is worth a visit 😀.`).join(
      ' ',
    );
    const question = await textAndWait(stack, from, 'Where should I drink coffee?');
    const first = await replySent(question.sid);
    expect(first).toMatchObject({ encoding: 'UCS-2', hasMore: true });
    expect(first.segments).toBeLessThanOrEqual(3);
    expect(first.body.length).toBeLessThanOrEqual(3 * 67);
    expect(repliesTo(stack, from)[0]?.numSegments).toBe(first.segments);
  });

  it('MORE with nothing cut says there is nothing more', async () => {
    const from = nextPhone();
    const more = await textAndWait(stack, from, 'MORE');
    expect(more.outcome).toBe('nothing_to_continue');
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual([NOTHING_MORE_TEXT]);
  });
});
