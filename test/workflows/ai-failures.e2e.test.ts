import { setTimeout as sleep } from 'node:timers/promises';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { smsTask } from '../../workflows/sms-task.js';
import { type RunningServer, sendJson, startServer } from '../fakes/http.js';
import { newSid, OUR_NUMBER, type SmsStack, startSmsStack } from '../support/sms-stack.js';
import { dataOf, nextPhone, repliesTo, statusQuery, types, untilStep } from './helpers.js';

const SMS_STATUS = defineSearchAttributeKey('SmsStatus', SearchAttributeType.KEYWORD);

/** Routed to the coding model (gpt-4o), whose fallback is gpt-4o-mini. */
const CODING_QUESTION = 'How do I reverse an array in JavaScript?';
/** Routed to the default model, gpt-4o-mini, which is also the fallback: one request per attempt. */
const GENERAL_QUESTION = 'What is the capital of Norway?';

describe('smsTask when the AI fails', () => {
  let stack: SmsStack;
  let alertHook: RunningServer;
  /** What the alert webhook received (ALERT_WEBHOOK_URL), and how long it takes to answer. */
  const alerts: { workflowId: string; title: string; text: string; fields: Record<string, string> }[] = [];
  let alertLatencyMs = 0;
  beforeAll(async () => {
    alertHook = await startServer(async (_req, res, body) => {
      await sleep(alertLatencyMs);
      alerts.push(JSON.parse(body));
      sendJson(res, 200, { ok: true });
    });
    stack = await startSmsStack({ ALERT_WEBHOOK_URL: `${alertHook.origin}/alerts` });
  });
  afterAll(async () => {
    await stack?.close();
    await alertHook?.close();
  });
  beforeEach(() => {
    stack.twilio.reset();
    stack.openai.reset();
    alerts.length = 0;
    alertLatencyMs = 0;
  });

  const statuses = () => stack.openai.requests.map((r) => r.status);

  async function smsStatusAttribute(sid: string) {
    const description = await stack.handle(sid).describe();
    return description.typedSearchAttributes.get(SMS_STATUS);
  }

  it('two 500s, then success: exactly one reply', async () => {
    const from = nextPhone();
    stack.openai.knobs.failNext(2, 500);
    const sent = await stack.sendSms({ from, body: GENERAL_QUESTION });
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(statuses()).toEqual([500, 500, 200]);
    expect(repliesTo(stack, from)).toHaveLength(1);
    const events = await stack.events(`sms-${sent.sid}`);
    expect(dataOf(events, 'AiResponseGenerated')).toHaveLength(1);
    expect(dataOf(events, 'ReplySent')).toHaveLength(1);
  });

  it('a 429 with Retry-After is honoured: the next attempt waits that long', async () => {
    const from = nextPhone();
    // 3 s, so honouring it is told apart from the policy's own 1 s first backoff.
    stack.openai.knobs.rateLimitNext(1, 3);
    let answeredAt = 0;
    stack.openai.knobs.reply = () => {
      answeredAt = Date.now();
      return 'Oslo.';
    };
    const sent = await stack.sendSms({ from, body: GENERAL_QUESTION });
    await expect.poll(() => stack.openai.requests.length, { interval: 20 }).toBeGreaterThanOrEqual(1);
    const limitedAt = Date.now();
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(statuses()).toEqual([429, 200]);
    const waited = answeredAt - limitedAt;
    expect(waited).toBeGreaterThanOrEqual(2_800);
    expect(waited).toBeLessThan(10_000);
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual(['Oslo.']);
  });

  it('a failing primary model: the fallback model answers', async () => {
    const from = nextPhone();
    stack.openai.knobs.failForModel('gpt-4o', 500);
    const sent = await stack.sendSms({ from, body: CODING_QUESTION });
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(stack.openai.requests.map((r) => [r.model, r.status])).toEqual([
      ['gpt-4o', 500],
      ['gpt-4o-mini', 200],
    ]);
    const [ai] = dataOf(await stack.events(`sms-${sent.sid}`), 'AiResponseGenerated');
    expect(ai).toMatchObject({ model: 'gpt-4o-mini', fallbackUsed: true });
    expect(repliesTo(stack, from)).toHaveLength(1);
  });

  it('401: not retried, not sent to the fallback; the task needs attention', async () => {
    const from = nextPhone();
    stack.openai.knobs.failAlways(401);
    const sent = await stack.sendSms({ from, body: CODING_QUESTION });
    await untilStep(stack, sent.sid, 'needs_attention');
    expect(stack.openai.requests.map((r) => [r.model, r.status])).toEqual([['gpt-4o', 401]]);
    const [failed] = dataOf(await stack.events(`sms-${sent.sid}`), 'TaskFailed');
    expect(failed).toMatchObject({ step: 'ai', errorType: 'AiRequestRejected', round: 0, attempts: 1 });
    expect(await smsStatusAttribute(sent.sid)).toBe('NEEDS_ATTENTION');
    expect(repliesTo(stack, from)).toHaveLength(0);
    // Ops are alerted, without the person's full number
    await expect.poll(() => alerts.length).toBe(1);
    expect(alerts[0]).toMatchObject({ workflowId: `sms-${sent.sid}`, fields: { round: '0' } });
    expect(JSON.stringify(alerts[0])).not.toContain(from);
    await stack.handle(sent.sid).terminate('test done');
  });

  it('always failing: NEEDS_ATTENTION with TaskFailed; after a fix, the retry signal answers once', async () => {
    const from = nextPhone();
    stack.openai.knobs.failAlways(500);
    const sent = await stack.sendSms({ from, body: GENERAL_QUESTION });
    const handle = stack.handle(sent.sid);

    // When every call fails (AI_MAX_CALLS_PER_SMS: 3 paid calls per round, though the policy allows 5 attempts)
    await untilStep(stack, sent.sid, 'needs_attention', 60_000);
    expect(statuses()).toEqual([500, 500, 500]);
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ step: 'needs_attention', round: 0, lastError: expect.any(String) });
    expect(types(await stack.events(`sms-${sent.sid}`))).toEqual(['SmsReceived', 'TaskClassified', 'TaskFailed']);
    const [failed] = dataOf(await stack.events(`sms-${sent.sid}`), 'TaskFailed');
    expect(failed).toMatchObject({ step: 'ai', round: 0, errorType: 'AiCallsExhausted', attempts: 3 });
    // The default model is also the configured fallback: no "fallback" to the same call
    expect(stack.openai.requests.map((r) => r.model)).toEqual(['gpt-4o-mini', 'gpt-4o-mini', 'gpt-4o-mini']);
    expect(failed?.errorMessage).toMatch(/paid call 3 of 3/);

    // Then the task is findable by its search attribute
    expect(await smsStatusAttribute(sent.sid)).toBe('NEEDS_ATTENTION');
    await expect
      .poll(
        async () => {
          const ids: string[] = [];
          const query = `SmsStatus="NEEDS_ATTENTION" AND WorkflowId="sms-${sent.sid}"`;
          for await (const w of stack.client.workflow.list({ query })) ids.push(w.workflowId);
          return ids;
        },
        { timeout: 10_000, interval: 250 },
      )
      .toEqual([`sms-${sent.sid}`]);
    expect(repliesTo(stack, from)).toHaveLength(0);

    // When the AI is healed and ops send `retry`
    stack.openai.knobs.heal();
    await handle.signal('retry', { requestedBy: 'test' });
    expect(await handle.result()).toEqual({ outcome: 'answered' });

    // Then one reply, a TaskRetryRequested, and the unit taken in round 0 is not taken again
    const events = await stack.events(`sms-${sent.sid}`);
    expect(types(events)).toEqual([
      'SmsReceived',
      'TaskClassified',
      'TaskFailed',
      'TaskRetryRequested',
      'TaskClassified',
      'AiResponseGenerated',
      'ReplyIntentRecorded',
      'ReplySent',
      'TaskCompleted',
    ]);
    expect(dataOf(events, 'TaskRetryRequested')).toEqual([{ requestedBy: 'test', round: 1 }]);
    expect(dataOf(events, 'TaskCompleted')).toEqual([{ outcome: 'answered', processingMs: expect.any(Number) }]);
    expect(repliesTo(stack, from)).toHaveLength(1);
    expect(dataOf(await stack.events(`user-${from}`), 'UsageRecorded')).toHaveLength(1);
    expect(await smsStatusAttribute(sent.sid)).toBe('COMPLETED');
  });

  it('no retry within the window: TaskAbandoned with the window and the last error, and the run closes as failed', async () => {
    const from = nextPhone();
    stack.openai.knobs.failAlways(401);
    const sid = newSid();
    // Started by hand with a short window (the inbox starter's runs wait RETRY_WINDOW, 7 days)
    const handle = await stack.client.workflow.start(smsTask, {
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      workflowId: `sms-${sid}`,
      args: [
        {
          messageSid: sid,
          from,
          to: OUR_NUMBER,
          body: GENERAL_QUESTION,
          numMedia: 0,
          provider: 'twilio',
          receivedAt: new Date().toISOString(),
          retryWindow: '2 seconds',
        },
      ],
    });
    expect(await handle.result()).toEqual({ outcome: 'failed' });
    const events = await stack.events(`sms-${sid}`);
    expect(types(events)).toEqual(['SmsReceived', 'TaskClassified', 'TaskFailed', 'TaskAbandoned']);
    expect(dataOf(events, 'TaskAbandoned')).toEqual([
      { step: 'ai', lastError: expect.stringMatching(/401/), retryWindow: '2 seconds', round: 0 },
    ]);
    expect(await smsStatusAttribute(sid)).toBe('FAILED');
    expect(repliesTo(stack, from)).toHaveLength(0);
  });

  it('a retry sent as soon as NEEDS_ATTENTION shows, while the alert is still going out, is not lost', async () => {
    const from = nextPhone();
    alertLatencyMs = 2_000;
    stack.openai.knobs.failAlways(401);
    const sent = await stack.sendSms({ from, body: GENERAL_QUESTION });
    await untilStep(stack, sent.sid, 'needs_attention');
    stack.openai.knobs.heal();
    await stack.handle(sent.sid).signal('retry', { requestedBy: 'quick-ops' });
    expect(alerts).toHaveLength(0);

    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(dataOf(await stack.events(`sms-${sent.sid}`), 'TaskRetryRequested')).toEqual([
      { requestedBy: 'quick-ops', round: 1 },
    ]);
    expect(repliesTo(stack, from)).toHaveLength(1);
  });
});
