import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvents } from '../../activities/event-log.js';
import { userStream } from '../../domain/events/envelope.js';
import { type SmsStack, startSmsStack } from '../support/sms-stack.js';
import { dataOf, givenPremiumUser, nextPhone, repliesTo, textAndWait } from './helpers.js';

/** Issue #18: a premium person with a month of usage (10,000 earlier SMS) gets the same decisions as anyone. */
describe('smsTask for a person with 10,000 earlier SMS this month', () => {
  let stack: SmsStack;
  beforeAll(async () => {
    // The month is the only window that can fill: 10,000 units allowed, one left.
    stack = await startSmsStack({
      QUOTA_PREMIUM_PER_MONTH: '10001',
      QUOTA_PREMIUM_PER_DAY: '1000000',
      QUOTA_PREMIUM_PER_MINUTE: '1000000',
    });
  });
  afterAll(() => stack?.close());

  it('takes the last unit of the month, then says when the month resets', async () => {
    const from = nextPhone();
    await givenPremiumUser(stack, from);
    const now = new Date();
    const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    const span = now.getTime() - monthStart;
    for (let i = 0; i < 10_000; i += 1_000) {
      const drafts = Array.from({ length: 1_000 }, (_, j) => ({
        type: 'UsageRecorded' as const,
        step: `given-usage-${i + j}`,
        data: {
          messageSid: `SMgiven${i + j}`,
          at: new Date(monthStart + Math.floor((span * (i + j)) / 10_000)).toISOString(),
        },
      }));
      await appendEvents(stack.store, userStream(from), drafts, { correlationId: `test-${from}`, round: 0, now });
    }

    expect((await textAndWait(stack, from, 'One more question?')).outcome).toBe('answered');
    const limited = await textAndWait(stack, from, 'And another?');
    expect(limited.outcome).toBe('rate_limited');
    expect(dataOf(await stack.events(`sms-${limited.sid}`), 'RateLimited')).toEqual([
      expect.objectContaining({ window: 'month', limit: 10_001, notified: true }),
    ]);
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    const hits = dataOf(await stack.events(userStream(from)), 'RateLimitHit');
    expect(hits).toEqual([expect.objectContaining({ messageSid: limited.sid, window: 'month', retryAt: nextMonth })]);
    const usage = dataOf(await stack.events(userStream(from)), 'UsageRecorded');
    expect(usage).toHaveLength(10_001);
    expect(repliesTo(stack, from)).toHaveLength(2);
    expect(stack.openai.requests).toHaveLength(1);
  });
});
