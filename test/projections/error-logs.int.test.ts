import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLogsReadModel } from '../../projections/error-logs/handler.js';
import { createReadModelQueries } from '../../projections/queries.js';
import { applyAgain, dumpTables, eventLog, project, readModelDatabase } from './support/harness.js';

const PHONE = '+14155550401';
let db: Awaited<ReturnType<typeof readModelDatabase>>;
let queries: ReturnType<typeof createReadModelQueries>;

beforeAll(async () => {
  db = await readModelDatabase();
  queries = createReadModelQueries(db.pool);
});
afterAll(async () => db?.close());

const received = (log: ReturnType<typeof eventLog>, sid: string) =>
  log.sms(sid, 'SmsReceived', {
    messageSid: sid,
    from: PHONE,
    to: '+14155550100',
    body: 'help me',
    numMedia: 0,
    provider: 'twilio',
    receivedAt: '2026-01-10T12:00:00.000Z',
  });
const failed = (log: ReturnType<typeof eventLog>, sid: string, round: number) =>
  log.sms(sid, 'TaskFailed', {
    step: 'generateAnswer',
    errorType: 'OpenAIRateLimitError',
    errorMessage: '429 Too Many Requests',
    attempts: 5,
    round,
  });

describe('error_logs read model', () => {
  it('given a permanent failure, then an unresolved error names the task, the sender and the step', async () => {
    const log = eventLog();
    received(log, 'SME1');
    const failure = failed(log, 'SME1', 0);
    await project(db.pool, errorLogsReadModel, log.events);

    const errors = await queries.listErrors({ resolved: false, messageSid: 'SME1' });
    expect(errors.items).toEqual([
      {
        id: failure.id,
        type: 'OpenAIRateLimitError',
        message: '429 Too Many Requests',
        taskMessageSid: 'SME1',
        userPhone: PHONE,
        step: 'generateAnswer',
        attempts: 5,
        round: 0,
        createdAt: failure.metadata.occurredAt,
        resolved: false,
        resolvedAt: null,
        retryRequestedAt: null,
        retryRequestedBy: null,
      },
    ]);
  });

  it('given a retry that fails again and then completes, then both errors are resolved by the completion', async () => {
    const log = eventLog();
    received(log, 'SME2');
    failed(log, 'SME2', 0);
    await project(db.pool, errorLogsReadModel, log.events);
    const seen = log.events.length;
    log.sms('SME2', 'TaskRetryRequested', { requestedBy: 'ops@example.com', round: 1 });
    failed(log, 'SME2', 1);
    log.sms('SME2', 'TaskRetryRequested', { requestedBy: 'ops@example.com', round: 2 });
    const done = log.sms('SME2', 'TaskCompleted', { outcome: 'answered', processingMs: 5000 });
    await project(db.pool, errorLogsReadModel, log.events.slice(seen));

    const errors = (await queries.listErrors({ messageSid: 'SME2' })).items;
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(e).toMatchObject({
        resolved: true,
        resolvedAt: done.metadata.occurredAt,
        retryRequestedBy: 'ops@example.com',
        userPhone: PHONE,
      });
    }
    expect((await queries.listErrors({ resolved: false, messageSid: 'SME2' })).items).toHaveLength(0);
  });

  it('given an old completion redelivered after a newer failure, then the newer failure stays open', async () => {
    const log = eventLog();
    received(log, 'SME3');
    failed(log, 'SME3', 0);
    log.sms('SME3', 'TaskRetryRequested', { requestedBy: 'ops', round: 1 });
    const firstDone = log.events.length;
    log.sms('SME3', 'TaskCompleted', { outcome: 'answered', processingMs: 10 });
    failed(log, 'SME3', 1);
    await project(db.pool, errorLogsReadModel, log.events);
    const before = await dumpTables(db.pool, errorLogsReadModel.tables);

    await applyAgain(db.pool, errorLogsReadModel, log.events.slice(firstDone));

    expect(await dumpTables(db.pool, errorLogsReadModel.tables)).toEqual(before);
    expect((await queries.listErrors({ resolved: false, messageSid: 'SME3' })).items).toHaveLength(1);
  });

  it('lists errors newest first, page by page', async () => {
    const all = [];
    let cursor: string | undefined;
    do {
      const page = await queries.listErrors({ limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(all).toHaveLength(5);
    expect(all.map((e) => e.createdAt)).toEqual([...all.map((e) => e.createdAt)].sort().reverse());
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect((await queries.listErrors({ phone: PHONE })).items.length).toBe(all.length);
  });

  it('given a provider error that quotes phone numbers, then the stored message shows them masked', async () => {
    const log = eventLog();
    received(log, 'SME9');
    log.sms('SME9', 'TaskFailed', {
      step: 'sendReply',
      errorType: 'TwilioRestError',
      errorMessage: "The 'To' number whatsapp:14155550401 is unreachable; From +1 415-555-0100",
      attempts: 5,
      round: 0,
    });
    await project(db.pool, errorLogsReadModel, log.events);

    const [error] = (await queries.listErrors({ messageSid: 'SME9' })).items;
    expect(error?.message).toBe("The 'To' number whatsapp:+1*******01 is unreachable; From +1*******00");
    expect(error?.userPhone).toBe(PHONE);
  });
});
