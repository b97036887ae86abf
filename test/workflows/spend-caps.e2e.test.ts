import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendEvents } from '../../activities/event-log.js';
import { userStream } from '../../domain/events/envelope.js';
import { smsTask } from '../../workflows/sms-task.js';
import { newSid, OUR_NUMBER, type SmsStack, startSmsStack } from '../support/sms-stack.js';
import { dataOf, givenPremiumUser, nextPhone, repliesTo, textAndWait, types } from './helpers.js';

/** Spend caps in money on real parts: Temporal, PostgreSQL, the fake OpenAI's known token counts. */
describe('smsTask spend caps', () => {
  let stack: SmsStack;
  // The worker's clock: a test moves it to the next UTC day instead of waiting for one.
  let offsetMs = 0;
  beforeAll(async () => {
    stack = await startSmsStack(
      {
        // Free: a cap so small that the first answer crosses it. Premium: $1 a day.
        SPEND_CAP_FREE_DAY_USD: '0.000001',
        SPEND_CAP_PREMIUM_DAY_USD: '1',
        // Dear prices, so one SMS's conservative reservation (~$0.05) is more than the cent left.
        AI_PRICES_JSON: '{"gpt-4o-mini": {"input": 30, "output": 60}, "gpt-4o": {"input": 30, "output": 60}}',
      },
      { now: () => new Date(Date.now() + offsetMs) },
    );
  });
  afterAll(() => stack?.close());
  beforeEach(() => {
    offsetMs = 0;
    stack.twilio.reset();
    stack.openai.reset();
  });

  it('given a tiny cap, the answer that crosses it is the last, then one notice, then silence until the day turns', async () => {
    const from = nextPhone();
    // When three texts arrive one after another
    const outcomes = [];
    const sids = [];
    for (const body of ['First question?', 'Second question?', 'Third question?']) {
      const { sid, outcome } = await textAndWait(stack, from, body);
      outcomes.push(outcome);
      sids.push(sid);
    }
    // Then the first is answered (it crossed the cap), the second gets the notice, the third nothing
    expect(outcomes).toEqual(['answered', 'spend_capped', 'spend_capped']);
    expect(stack.openai.requests).toHaveLength(1);
    const replies = repliesTo(stack, from);
    expect(replies).toHaveLength(2);
    expect(replies[1]?.body).toMatch(/^You have used today's share of answers\. Please come back/);

    const user = await stack.events(`user-${from}`);
    const [answer] = dataOf(await stack.events(`sms-${sids[0]}`), 'AiResponseGenerated');
    expect(answer?.costUsd).toBeGreaterThan(0);
    // The reservation taken with the unit is replaced by the actual cost after the call
    expect(dataOf(user, 'SpendReserved').map((r) => r.messageSid)).toEqual([sids[0]]);
    expect(dataOf(user, 'SpendRecorded')).toEqual([
      { messageSid: sids[0], costUsd: answer?.costUsd, at: expect.any(String) },
    ]);
    expect(dataOf(user, 'SpendCapHit').map((h) => [h.messageSid, h.scope, h.window, h.notify])).toEqual([
      [sids[1], 'user', 'day', true],
      [sids[2], 'user', 'day', false],
    ]);
    const second = await stack.events(`sms-${sids[1]}`);
    expect(types(second)).toEqual([
      'SmsReceived',
      'TaskClassified',
      'SpendCapped',
      'ReplyIntentRecorded',
      'ReplySent',
      'TaskCompleted',
    ]);
    expect(dataOf(second, 'SpendCapped')).toEqual([
      { scope: 'user', window: 'day', capUsd: 0.000001, retryAt: expect.any(String), notified: true },
    ]);
    expect(types(await stack.events(`sms-${sids[2]}`))).toEqual([
      'SmsReceived',
      'TaskClassified',
      'SpendCapped',
      'TaskCompleted',
    ]);

    // When the UTC day turns (the worker's clock moves past midnight), then the next text is answered
    const retryAt = Date.parse(dataOf(second, 'SpendCapped')[0]?.retryAt ?? '');
    offsetMs = retryAt - Date.now() + 1_000;
    expect((await textAndWait(stack, from, 'A new day?')).outcome).toBe('answered');
    expect(stack.openai.requests).toHaveLength(2);
  });

  it('given a task abandoned without an answer, then its reservation is released (no cost held)', async () => {
    const from = nextPhone();
    await givenPremiumUser(stack, from);
    stack.openai.knobs.failAlways(401);
    const sid = newSid();
    // Started by hand with a short retry window (the inbox starter's runs wait 7 days)
    const handle = await stack.client.workflow.start(smsTask, {
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      workflowId: `sms-${sid}`,
      args: [
        {
          messageSid: sid,
          from,
          to: OUR_NUMBER,
          body: 'What is the capital of Norway?',
          numMedia: 0,
          provider: 'twilio',
          receivedAt: new Date().toISOString(),
          retryWindow: '1 second',
        },
      ],
    });
    expect(await handle.result()).toEqual({ outcome: 'failed' });
    const user = await stack.events(`user-${from}`);
    expect(dataOf(user, 'SpendReserved').map((r) => r.messageSid)).toEqual([sid]);
    expect(dataOf(user, 'SpendRecorded')).toEqual([{ messageSid: sid, costUsd: 0, at: expect.any(String) }]);
  });

  it('given one cent left, two texts at once give exactly one answer (decided at the expected revision)', async () => {
    const from = nextPhone();
    await givenPremiumUser(stack, from);
    // Given $0.99 of the $1 premium day cap already spent
    await appendEvents(
      stack.store,
      userStream(from),
      [
        {
          type: 'SpendRecorded',
          step: 'given-spend',
          data: { messageSid: 'SMgiven', costUsd: 0.99, at: new Date().toISOString() },
        },
      ],
      { correlationId: `test-${from}`, round: 0, now: new Date() },
    );
    stack.openai.knobs.latencyMs = 300;

    // When two texts arrive at the same time
    const sent = await Promise.all([
      stack.sendSms({ from, body: 'Concurrent question A?' }),
      stack.sendSms({ from, body: 'Concurrent question B?' }),
    ]);
    const outcomes = await Promise.all(sent.map(async (s) => (await stack.handle(s.sid).result()).outcome));

    // Then one is answered and the other held with the notice; one AI call was made
    expect([...outcomes].sort()).toEqual(['answered', 'spend_capped']);
    expect(stack.openai.requests).toHaveLength(1);
    const user = await stack.events(`user-${from}`);
    expect(dataOf(user, 'SpendReserved')).toHaveLength(1);
    expect(dataOf(user, 'SpendReserved')[0]?.usd).toBeGreaterThan(0.01);
    expect(dataOf(user, 'SpendCapHit')).toEqual([
      expect.objectContaining({ scope: 'user', window: 'day', notify: true }),
    ]);
    expect(repliesTo(stack, from).map((r) => r.body.startsWith("You have used today's share"))).toEqual(
      expect.arrayContaining([true, false]),
    );
  });
});
