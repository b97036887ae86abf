import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SmsStack, startSmsStack } from '../support/sms-stack.js';
import { awayFromMinuteEdge, dataOf, givenPremiumUser, nextPhone, repliesTo, textAndWait, types } from './helpers.js';

describe('smsTask rate limits and quota', () => {
  let stack: SmsStack;
  beforeAll(async () => {
    // Free: 2 a minute. Premium: 2 a day (and 30 a minute), to test the day window without waiting a day.
    stack = await startSmsStack({ QUOTA_FREE_PER_MINUTE: '2', QUOTA_PREMIUM_PER_DAY: '2' });
  });
  afterAll(() => stack?.close());
  beforeEach(() => {
    stack.twilio.reset();
    stack.openai.reset();
  });

  it('over the per-minute limit: one polite SMS for the first limited message, then silence', async () => {
    const from = nextPhone();
    await awayFromMinuteEdge();
    const outcomes = [];
    const sids = [];
    for (const body of ['Question one?', 'Question two?', 'Question three?', 'Question four?']) {
      const { sid, outcome } = await textAndWait(stack, from, body);
      outcomes.push(outcome);
      sids.push(sid);
    }
    expect(outcomes).toEqual(['answered', 'answered', 'rate_limited', 'rate_limited']);
    expect(stack.openai.requests).toHaveLength(2);

    const replies = repliesTo(stack, from);
    expect(replies).toHaveLength(3);
    expect(replies[2]?.body).toMatch(
      /^You are texting faster than I can answer\. Please wait and send your message again in/,
    );

    const third = await stack.events(`sms-${sids[2]}`);
    expect(types(third)).toEqual([
      'SmsReceived',
      'TaskClassified',
      'RateLimited',
      'ReplyIntentRecorded',
      'ReplySent',
      'TaskCompleted',
    ]);
    expect(dataOf(third, 'RateLimited')).toEqual([
      { window: 'minute', limit: 2, retryAt: expect.any(String), notified: true },
    ]);
    expect(dataOf(third, 'ReplySent')).toEqual([expect.objectContaining({ kind: 'rate_limit' })]);
    const fourth = await stack.events(`sms-${sids[3]}`);
    expect(types(fourth)).toEqual(['SmsReceived', 'TaskClassified', 'RateLimited', 'TaskCompleted']);
    expect(dataOf(fourth, 'RateLimited')[0]).toMatchObject({ window: 'minute', notified: false });

    const hits = dataOf(await stack.events(`user-${from}`), 'RateLimitHit');
    expect(hits.map((h) => [h.messageSid, h.window, h.notify])).toEqual([
      [sids[2], 'minute', true],
      [sids[3], 'minute', false],
    ]);
    expect(Date.parse(hits[0]!.retryAt) % 60_000).toBe(0);
  });

  it('over the per-day limit (premium given 2 a day): the notice names today, once', async () => {
    const from = nextPhone();
    await givenPremiumUser(stack, from);
    const outcomes = [];
    for (const body of ['First?', 'Second?', 'Third?', 'Fourth?'])
      outcomes.push((await textAndWait(stack, from, body)).outcome);
    expect(outcomes).toEqual(['answered', 'answered', 'rate_limited', 'rate_limited']);
    const replies = repliesTo(stack, from);
    expect(replies).toHaveLength(3);
    expect(replies[2]?.body).toMatch(/^You have reached today's message limit\. Please come back/);
    const hits = dataOf(await stack.events(`user-${from}`), 'RateLimitHit');
    expect(hits.map((h) => [h.window, h.notify])).toEqual([
      ['day', true],
      ['day', false],
    ]);
  });

  it('first contact twice at once: one UserRegistered, both answered', async () => {
    const from = nextPhone();
    const sent = await Promise.all([
      stack.sendSms({ from, body: 'First contact A?' }),
      stack.sendSms({ from, body: 'First contact B?' }),
    ]);
    const outcomes = await Promise.all(
      sent.map((s) =>
        stack
          .handle(s.sid)
          .result()
          .then((r) => r.outcome),
      ),
    );
    expect(outcomes).toEqual(['answered', 'answered']);
    const user = await stack.events(`user-${from}`);
    expect(types(user).filter((t) => t === 'UserRegistered')).toHaveLength(1);
    expect(dataOf(user, 'UsageRecorded')).toHaveLength(2);
  });

  it('two texts at once with one unit left: exactly one is answered (decided at the expected revision)', async () => {
    const from = nextPhone();
    await givenPremiumUser(stack, from);
    // Given one unit used of two
    expect((await textAndWait(stack, from, 'Warm-up question?')).outcome).toBe('answered');
    stack.openai.knobs.latencyMs = 300;

    // When two texts arrive at the same time
    const sent = await Promise.all([
      stack.sendSms({ from, body: 'Concurrent question A?' }),
      stack.sendSms({ from, body: 'Concurrent question B?' }),
    ]);
    const outcomes = await Promise.all(
      sent.map((s) =>
        stack
          .handle(s.sid)
          .result()
          .then((r) => r.outcome),
      ),
    );

    // Then one is answered and the other is limited with the polite notice
    expect([...outcomes].sort()).toEqual(['answered', 'rate_limited']);
    expect(stack.openai.requests).toHaveLength(2);
    const kinds = [];
    for (const s of sent) kinds.push(...dataOf(await stack.events(`sms-${s.sid}`), 'ReplySent').map((r) => r.kind));
    expect(kinds.sort()).toEqual(['answer', 'rate_limit']);
    const user = await stack.events(`user-${from}`);
    expect(dataOf(user, 'UsageRecorded')).toHaveLength(2);
    expect(dataOf(user, 'RateLimitHit')).toHaveLength(1);
  });
});
