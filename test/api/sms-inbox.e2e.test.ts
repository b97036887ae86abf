import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SMS_TASK_VERSION } from '../../workflows/types.js';
import { newSid, type SmsStack, startSmsStack, useSmsStack } from '../support/sms-stack.js';
import { type TcpProxy, tcpProxy } from '../support/tcp-proxy.js';
import { dataOf, eventually, nextPhone, repliesTo, textAndWait, types, workflowExists } from '../workflows/helpers.js';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

const metricValue = (text: string, metric: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

const inboxStats = (stack: SmsStack) => {
  const inbox = stack.app.smsInbox;
  if (!inbox) throw new Error('the SMS inbox starter is not running in this stack');
  return inbox.stats();
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

describe('SMS inbox: the webhook accepts into the event log, the inbox starter starts the workflow', () => {
  const stack = useSmsStack();

  it('given a signed webhook, SmsReceived is in the log when it answers, and the workflow starts once and replies once', async () => {
    // Given
    stack.openai.knobs.reply = 'Lima.';
    const from = nextPhone();
    const before = inboxStats(stack).accepted;

    // When
    const sent = await stack.sendSms({ from, body: 'What is the capital of Peru?' });

    // Then: durable before the answer
    expect(sent.status).toBe(200);
    expect(sent.body).toBe(EMPTY_TWIML);
    const [first] = await stack.events(`sms-${sent.sid}`);
    expect(first).toMatchObject({
      type: 'SmsReceived',
      revision: 0n,
      data: { messageSid: sent.sid, from, provider: 'twilio', body: 'What is the capital of Peru?' },
      metadata: { correlationId: `sms-${sent.sid}` },
    });
    // And started by the inbox, answered by the workflow, whose own SmsReceived was a no-op
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    const events = await stack.events(`sms-${sent.sid}`);
    expect(events[0]?.id).toBe(first?.id);
    expect(types(events)).toEqual([
      'SmsReceived',
      'TaskClassified',
      'AiResponseGenerated',
      'ReplyIntentRecorded',
      'ReplySent',
      'TaskCompleted',
    ]);
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual(['Lima.']);
    expect(inboxStats(stack)).toMatchObject({ state: 'active', accepted: before + 1, startErrors: 0 });
    // The input says it came from the log, so the first step skipped re-appending SmsReceived.
    const history = await stack.handle(sent.sid).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const [input] = await decodeArrayFromPayloads(stack.client.options.loadedDataConverter, started?.input?.payloads);
    expect(input).toEqual({ ...(first?.data as object), inLog: true, version: SMS_TASK_VERSION });

    const metrics = await (await fetch(`${stack.apiUrl}/metrics`)).text();
    expect(metricValue(metrics, 'sms_agent_inbox_starts_total{outcome="accepted"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'sms_agent_inbox_active')).toBe(1);
    expect(metricValue(metrics, 'sms_agent_inbox_backlog_events')).toBe(0);
    expect(metricValue(metrics, 'sms_agent_inbox_start_delay_seconds_count')).toBeGreaterThanOrEqual(1);
  });

  it('given 5 deliveries at once and 5 more after the task completed, records one SmsReceived, starts one workflow and replies once', async () => {
    // Given
    stack.openai.knobs.reply = 'Quito.';
    const from = nextPhone();
    const sid = newSid();
    const before = inboxStats(stack).accepted;
    const deliver = () => stack.sendSms({ from, body: 'What is the capital of Ecuador?', sid });

    // When
    const first = await Promise.all(Array.from({ length: 5 }, deliver));
    expect(await stack.handle(sid).result()).toEqual({ outcome: 'answered' });
    const { runId } = await stack.handle(sid).describe();
    const again = await Promise.all(Array.from({ length: 5 }, deliver));
    // The starter follows the log in order: once a later SMS is started, anything the
    // duplicates could have caused would have been started before it.
    await textAndWait(stack, nextPhone(), 'HELP');

    // Then
    expect([...first, ...again].map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(dataOf(await stack.events(`sms-${sid}`), 'SmsReceived')).toHaveLength(1);
    expect(inboxStats(stack).accepted).toBe(before + 2);
    const runIds = async () => {
      const ids: string[] = [];
      for await (const run of stack.client.workflow.list({ query: `WorkflowId="sms-${sid}"` })) ids.push(run.runId);
      return ids;
    };
    expect(await eventually(runIds, (ids) => ids.length > 0, 10_000)).toEqual([runId]);
    expect(stack.openai.requests).toHaveLength(1);
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual(['Quito.']);
  });

  it('given an idle system, starts the workflow of an accepted SMS without waiting for a poll', async () => {
    // The store's fallback poll is 1 s: a starter that waited for it would take ~500 ms at the median.
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { sid } = await textAndWait(stack, nextPhone(), 'HELP');
      const stats = inboxStats(stack);
      const [received] = await stack.events(`sms-${sid}`);
      // This SMS is the last one the starter started (each waits for the one before).
      expect(Date.parse(stats.lastStartedAt ?? '')).toBeGreaterThanOrEqual(received?.recordedAt.getTime() ?? 0);
      delays.push(stats.lastStartDelayMs ?? Number.NaN);
    }
    process.stderr.write(
      `inbox start delay at idle (commit to start answered), ms: median ${median(delays)}, max ${Math.max(...delays)}; ${delays.join(', ')}\n`,
    );
    expect(median(delays)).toBeLessThan(400);
  });
});

describe('SMS inbox with Temporal unreachable from the API', () => {
  let stack: SmsStack;
  let proxy: TcpProxy;
  beforeAll(async () => {
    // The API's Temporal is a port that refuses connections until the test opens it.
    proxy = await tcpProxy(inject('temporalAddress'));
    stack = await startSmsStack(
      {},
      {
        apiTemporalAddress: proxy.address,
        inbox: { tuning: { retryDelayMs: 100, maxRetryDelayMs: 1_000, startTimeoutMs: 2_000 } },
      },
    );
  });
  afterAll(async () => {
    await stack?.close();
    await proxy?.close();
  });

  it('given Temporal down, the webhook still answers 200 and SmsReceived is recorded; once Temporal is back, the workflow starts and replies once', async () => {
    // Given
    stack.openai.knobs.reply = 'Bogotá.';
    const from = nextPhone();

    // When
    const sent = await stack.sendSms({ from, body: 'What is the capital of Colombia?' });

    // Then: accepted and durable, not started
    expect(sent.status).toBe(200);
    expect(sent.body).toBe(EMPTY_TWIML);
    expect(types(await stack.events(`sms-${sent.sid}`))).toEqual(['SmsReceived']);
    await eventually(
      async () => inboxStats(stack).startErrors,
      (n) => n >= 2,
      30_000,
    );
    expect(inboxStats(stack)).toMatchObject({ state: 'active', accepted: 0 });
    expect(await workflowExists(stack, sent.sid)).toBe(false);
    // The instance still takes SMS, so it stays in the load balancer: degraded, not 503.
    const ready = await fetch(`${stack.apiUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'degraded',
      checks: { postgres: { status: 'up', required: true }, temporal: { status: 'down', required: false } },
    });
    const metrics = await (await fetch(`${stack.apiUrl}/metrics`)).text();
    expect(metricValue(metrics, 'sms_agent_inbox_backlog_events')).toBe(1);
    expect(metricValue(metrics, 'sms_agent_inbox_start_errors_total')).toBeGreaterThanOrEqual(2);

    // When: Temporal is reachable again
    await proxy.open();

    // Then
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(inboxStats(stack)).toMatchObject({ accepted: 1, lastError: null });
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual(['Bogotá.']);
  });
});
