import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadModelQueries } from '../../projections/queries.js';
import { taskId, tasksReadModel } from '../../projections/tasks/handler.js';
import { applyAgain, dumpTables, eventLog, project, readModelDatabase } from './support/harness.js';

const PHONE = '+14155550101';
let db: Awaited<ReturnType<typeof readModelDatabase>>;
let queries: ReturnType<typeof createReadModelQueries>;

beforeAll(async () => {
  db = await readModelDatabase();
  queries = createReadModelQueries(db.pool);
});
afterAll(async () => db?.close());

function answeredTask(log: ReturnType<typeof eventLog>, sid: string) {
  log.sms(sid, 'SmsReceived', {
    messageSid: sid,
    from: PHONE,
    to: '+14155550100',
    body: 'How do I reverse a list?',
    numMedia: 0,
    provider: 'twilio',
    receivedAt: '2026-01-10T12:00:00.000Z',
  });
  log.sms(sid, 'TaskClassified', {
    category: 'coding',
    priority: 'normal',
    complexityScore: 0.4,
    model: 'gpt-4o',
    classifier: 'rules',
  });
  log.user(PHONE, 'UsageRecorded', { messageSid: sid, at: '2026-01-10T12:00:01.000Z' });
  log.sms(sid, 'AiResponseGenerated', {
    model: 'gpt-4o',
    fallbackUsed: false,
    text: 'Use list.reverse().',
    promptTokens: 120,
    completionTokens: 30,
    costUsd: 0.00042,
    latencyMs: 900,
  });
  log.sms(sid, 'ReplySent', {
    kind: 'answer',
    to: PHONE,
    body: 'Use list.reverse().',
    providerMessageSid: `SMout${sid}`,
    provider: 'twilio',
    segments: 1,
    encoding: 'GSM-7',
    hasMore: false,
  });
}

describe('tasks read model', () => {
  it('given an answered SMS, then its task row holds the content, classification, AI usage and delivery', async () => {
    const log = eventLog();
    answeredTask(log, 'SMA1');
    log.sms('SMA1', 'DeliveryStatusUpdated', { providerMessageSid: 'SMoutSMA1', status: 'sent' });
    log.sms('SMA1', 'TaskCompleted', { outcome: 'answered', processingMs: 2300 }, { at: '2026-01-10T12:00:03.000Z' });
    log.sms('SMA1', 'DeliveryStatusUpdated', { providerMessageSid: 'SMoutSMA1', status: 'delivered' });

    await project(db.pool, tasksReadModel, log.events);

    expect(await queries.getTask('SMA1')).toMatchObject({
      id: taskId('SMA1'),
      messageSid: 'SMA1',
      userPhone: PHONE,
      smsContent: 'How do I reverse a list?',
      aiResponse: 'Use list.reverse().',
      category: 'coding',
      priority: 'normal',
      complexityScore: 0.4,
      status: 'completed',
      outcome: 'answered',
      success: true,
      model: 'gpt-4o',
      promptTokens: 120,
      completionTokens: 30,
      tokensUsed: 150,
      costUsd: 0.00042,
      processingTime: 2300,
      replyKind: 'answer',
      replyCount: 1,
      segments: 1,
      providerMessageSid: 'SMoutSMA1',
      deliveryStatus: 'delivered',
      rounds: 1,
      failures: 0,
      createdAt: '2026-01-10T12:00:00.000Z',
      completedAt: '2026-01-10T12:00:03.000Z',
      metadata: { to: '+14155550100', provider: 'twilio', hasMore: false },
    });
  });

  it('given a failure whose error quotes the phone number, then the task keeps it masked', async () => {
    const log = eventLog();
    answeredTask(log, 'SMF9');
    log.sms('SMF9', 'TaskFailed', {
      step: 'sendReply',
      errorType: 'TwilioRestError',
      errorMessage: "The 'To' number +14155550123 is not a valid phone number.",
      attempts: 5,
      round: 0,
    });
    await project(db.pool, tasksReadModel, log.events);

    expect((await queries.getTask('SMF9'))?.errorMessage).toBe(
      "The 'To' number +1*******23 is not a valid phone number.",
    );
  });

  it('given a failure, a retry and a completion, then the task shows the recovery', async () => {
    const log = eventLog();
    answeredTask(log, 'SMF1');
    log.sms('SMF1', 'TaskFailed', {
      step: 'sendReply',
      errorType: 'TwilioRestError',
      errorMessage: 'Service unavailable',
      attempts: 5,
      round: 0,
    });

    await project(db.pool, tasksReadModel, log.events);
    expect(await queries.getTask('SMF1')).toMatchObject({
      status: 'failed',
      success: false,
      errorType: 'TwilioRestError',
      failedStep: 'sendReply',
      attempts: 5,
      failures: 1,
    });

    const seen = log.events.length;
    log.sms('SMF1', 'TaskRetryRequested', { requestedBy: 'ops@example.com', round: 1 });
    log.sms('SMF1', 'TaskCompleted', { outcome: 'answered', processingMs: 61_000 });
    await project(db.pool, tasksReadModel, log.events.slice(seen));

    expect(await queries.getTask('SMF1')).toMatchObject({
      status: 'completed',
      success: true,
      rounds: 2,
      failures: 1,
      errorType: 'TwilioRestError',
      processingTime: 61_000,
      metadata: { retryRequestedBy: 'ops@example.com' },
    });
  });

  it("given a failure and no retry within the window, then the task is abandoned and keeps the failure's fields", async () => {
    const log = eventLog();
    answeredTask(log, 'SMABANDON1');
    log.sms('SMABANDON1', 'TaskFailed', {
      step: 'ai',
      errorType: 'AiCallsExhausted',
      errorMessage: 'AI request failed (500)',
      attempts: 3,
      round: 0,
    });
    log.sms('SMABANDON1', 'TaskAbandoned', {
      step: 'ai',
      lastError: 'AI request failed (500)',
      retryWindow: '7 days',
      round: 0,
    });
    await project(db.pool, tasksReadModel, log.events);
    expect(await queries.getTask('SMABANDON1')).toMatchObject({
      status: 'abandoned',
      success: false,
      errorType: 'AiCallsExhausted',
      attempts: 3,
      metadata: { abandoned: { retryWindow: '7 days', at: expect.any(String) } },
    });
  });

  it('given a rate-limited SMS, then the task is completed with outcome rate_limited and the window', async () => {
    const log = eventLog();
    log.sms('SMR1', 'SmsReceived', {
      messageSid: 'SMR1',
      from: PHONE,
      to: '+14155550100',
      body: 'again?',
      numMedia: 0,
      provider: 'twilio',
      receivedAt: '2026-01-10T12:00:00.000Z',
    });
    log.sms('SMR1', 'RateLimited', { window: 'day', limit: 20, retryAt: '2026-01-11T00:00:00.000Z', notified: true });
    log.sms('SMR1', 'ReplySent', {
      kind: 'rate_limit',
      to: PHONE,
      body: 'Daily limit reached.',
      providerMessageSid: 'SMoutR1',
      provider: 'twilio',
      segments: 1,
      encoding: 'GSM-7',
      hasMore: false,
    });
    log.sms('SMR1', 'TaskCompleted', { outcome: 'rate_limited', processingMs: 150 });
    await project(db.pool, tasksReadModel, log.events);

    expect(await queries.getTask('SMR1')).toMatchObject({
      status: 'completed',
      outcome: 'rate_limited',
      rateLimitWindow: 'day',
      rateLimitRetryAt: '2026-01-11T00:00:00.000Z',
      replyKind: 'rate_limit',
      metadata: { rateLimit: { limit: 20, notified: true } },
    });
  });

  it('given delivery callbacks out of order, then the furthest status wins', async () => {
    const log = eventLog();
    answeredTask(log, 'SMD1');
    log.sms('SMD1', 'DeliveryStatusUpdated', { providerMessageSid: 'SMoutSMD1', status: 'delivered' });
    log.sms('SMD1', 'DeliveryStatusUpdated', { providerMessageSid: 'SMoutSMD1', status: 'sent' });
    await project(db.pool, tasksReadModel, log.events);
    expect((await queries.getTask('SMD1'))?.deliveryStatus).toBe('delivered');
  });

  it('given a batch delivered twice, then nothing changes', async () => {
    const log = eventLog();
    answeredTask(log, 'SMT1');
    log.sms('SMT1', 'TaskCompleted', { outcome: 'answered', processingMs: 1000 });
    await project(db.pool, tasksReadModel, log.events);
    const before = await dumpTables(db.pool, tasksReadModel.tables);

    await applyAgain(db.pool, tasksReadModel, log.events);

    expect(await dumpTables(db.pool, tasksReadModel.tables)).toEqual(before);
  });

  it('lists tasks newest first with filters and a cursor', async () => {
    const all = await queries.listTasks({ phone: PHONE, limit: 2 });
    expect(all.items).toHaveLength(2);
    expect(all.nextCursor).not.toBeNull();
    const next = await queries.listTasks({ phone: PHONE, limit: 2, cursor: all.nextCursor ?? undefined });
    const seen = [...all.items, ...next.items].map((t) => t.messageSid);
    expect(new Set(seen).size).toBe(seen.length);

    const failed = await queries.listTasks({ status: 'completed', category: 'coding', from: '2026-01-10T00:00:00Z' });
    expect(failed.items.every((t) => t.status === 'completed' && t.category === 'coding')).toBe(true);
    expect(await queries.countTasksByStatus()).toMatchObject({ completed: expect.any(Number) });
    expect(await queries.getTask('nope')).toBeNull();
  });
});
