import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyStatsReadModel } from '../../projections/daily-stats/handler.js';
import { createReadModelQueries } from '../../projections/queries.js';
import { applyAgain, dumpTables, eventLog, project, readModelDatabase } from './support/harness.js';

let db: Awaited<ReturnType<typeof readModelDatabase>>;
let queries: ReturnType<typeof createReadModelQueries>;

beforeAll(async () => {
  db = await readModelDatabase();
  queries = createReadModelQueries(db.pool);
});
afterAll(async () => db?.close());

type Log = ReturnType<typeof eventLog>;

function task(
  log: Log,
  sid: string,
  phone: string,
  receivedAt: string,
  end: {
    processingMs: number;
    category?: 'coding' | 'general';
    fail?: boolean;
    abandon?: boolean;
    tokens?: number;
    cost?: number;
  },
) {
  log.sms(sid, 'SmsReceived', {
    messageSid: sid,
    from: phone,
    to: '+14155550100',
    body: 'q',
    numMedia: 0,
    provider: 'twilio',
    receivedAt,
  });
  log.sms(sid, 'TaskClassified', {
    category: end.category ?? 'coding',
    priority: 'normal',
    complexityScore: 0.5,
    model: 'gpt-4o',
    classifier: 'rules',
  });
  log.sms(sid, 'AiResponseGenerated', {
    model: 'gpt-4o',
    fallbackUsed: false,
    text: 'a',
    promptTokens: end.tokens ?? 100,
    completionTokens: 0,
    costUsd: end.cost ?? 0.001,
    latencyMs: 10,
  });
  if (end.fail) {
    log.sms(sid, 'TaskFailed', { step: 'sendReply', errorType: 'E', errorMessage: 'm', attempts: 3, round: 0 });
    if (end.abandon)
      log.sms(sid, 'TaskAbandoned', { step: 'sendReply', lastError: 'm', retryWindow: '7 days', round: 0 });
  } else {
    log.sms(sid, 'TaskCompleted', { outcome: 'answered', processingMs: end.processingMs });
  }
}

describe('daily_stats read model', () => {
  it('given a day of tasks, then counts, success rate, percentiles, tokens and cost are per category and tier', async () => {
    const log = eventLog();
    const free = '+14155550501';
    const premium = '+14155550502';
    log.user(premium, 'UserRegistered', { phone: premium, tier: 'premium', registeredAt: '2026-01-10T00:00:00.000Z' });
    // The first SMS of a new person arrives before their UserRegistered.
    task(log, 'S1', free, '2026-01-10T08:00:00.000Z', { processingMs: 1000 });
    log.user(free, 'UserRegistered', { phone: free, tier: 'free', registeredAt: '2026-01-10T08:00:00.000Z' });
    for (const [i, ms] of [2000, 3000, 4000].entries()) {
      task(log, `S${i + 2}`, free, '2026-01-10T09:00:00.000Z', { processingMs: ms });
    }
    task(log, 'S5', free, '2026-01-10T10:00:00.000Z', { processingMs: 0, fail: true });
    task(log, 'S6', premium, '2026-01-10T11:00:00.000Z', {
      processingMs: 500,
      category: 'general',
      tokens: 7,
      cost: 0.25,
    });
    task(log, 'S7', free, '2026-01-11T00:30:00.000Z', { processingMs: 100 });

    await project(db.pool, dailyStatsReadModel, log.events, { batchSize: 3 });

    const rows = await queries.dailyStats({ from: '2026-01-10', to: '2026-01-11' });
    expect(rows).toEqual([
      {
        day: '2026-01-10',
        category: 'coding',
        tier: 'free',
        received: 5,
        completed: 4,
        answered: 4,
        failed: 1,
        rateLimited: 0,
        inProgress: 0,
        abandoned: 0,
        spendCapped: 0,
        successRate: 0.8,
        p50ProcessingMs: 2500,
        p95ProcessingMs: 3850,
        avgProcessingMs: 2500,
        tokens: 500,
        costUsd: 0.005,
      },
      expect.objectContaining({
        day: '2026-01-10',
        category: 'general',
        tier: 'premium',
        received: 1,
        tokens: 7,
        costUsd: 0.25,
      }),
      expect.objectContaining({ day: '2026-01-11', category: 'coding', tier: 'free', received: 1, completed: 1 }),
    ]);
    expect(await queries.dailyStats({ from: '2026-01-11', tier: 'free' })).toHaveLength(1);
  });

  it('given a task received before its sender registered, in an earlier batch, then it still counts under their tier', async () => {
    const log = eventLog();
    const phone = '+14155550503';
    task(log, 'L1', phone, '2026-01-12T08:00:00.000Z', { processingMs: 10 });
    await project(db.pool, dailyStatsReadModel, log.events);
    expect(await queries.dailyStats({ from: '2026-01-12' })).toMatchObject([{ tier: 'unknown', received: 1 }]);

    const seen = log.events.length;
    log.user(phone, 'UserRegistered', { phone, tier: 'premium', registeredAt: '2026-01-12T08:00:00.000Z' });
    await project(db.pool, dailyStatsReadModel, log.events.slice(seen));

    expect(await queries.dailyStats({ from: '2026-01-12' })).toMatchObject([{ tier: 'premium', received: 1 }]);
  });

  it('given a task that fails and is retried, then it moves from failed to in progress to completed', async () => {
    const log = eventLog();
    task(log, 'R1', '+14155550504', '2026-01-13T08:00:00.000Z', { processingMs: 0, fail: true });
    await project(db.pool, dailyStatsReadModel, log.events);
    expect(await queries.dailyStats({ from: '2026-01-13' })).toMatchObject([{ failed: 1, successRate: 0 }]);

    let seen = log.events.length;
    log.sms('R1', 'TaskRetryRequested', { requestedBy: 'ops', round: 1 });
    await project(db.pool, dailyStatsReadModel, log.events.slice(seen));
    expect(await queries.dailyStats({ from: '2026-01-13' })).toMatchObject([
      { failed: 0, inProgress: 1, successRate: null },
    ]);

    seen = log.events.length;
    log.sms('R1', 'TaskCompleted', { outcome: 'answered', processingMs: 90_000 });
    await project(db.pool, dailyStatsReadModel, log.events.slice(seen));
    expect(await queries.dailyStats({ from: '2026-01-13' })).toMatchObject([
      { completed: 1, successRate: 1, p50ProcessingMs: 90_000 },
    ]);
  });

  it('given a failed task whose retry window ends, then it counts as abandoned: not failed, not in progress, against the success rate', async () => {
    const log = eventLog();
    task(log, 'A1', '+14155550505', '2026-01-14T08:00:00.000Z', { processingMs: 0, fail: true, abandon: true });
    task(log, 'A2', '+14155550505', '2026-01-14T09:00:00.000Z', { processingMs: 100 });
    await project(db.pool, dailyStatsReadModel, log.events);
    expect(await queries.dailyStats({ from: '2026-01-14', to: '2026-01-14' })).toMatchObject([
      { received: 2, completed: 1, failed: 0, abandoned: 1, inProgress: 0, successRate: 0.5 },
    ]);
  });

  it('given a batch delivered twice, then nothing changes', async () => {
    const before = await dumpTables(db.pool, dailyStatsReadModel.tables);
    const log = eventLog();
    task(log, 'T1', '+14155550505', '2026-01-14T08:00:00.000Z', { processingMs: 5 });
    await project(db.pool, dailyStatsReadModel, log.events);
    const after = await dumpTables(db.pool, dailyStatsReadModel.tables);
    expect(after).not.toEqual(before);

    await applyAgain(db.pool, dailyStatsReadModel, log.events);

    expect(await dumpTables(db.pool, dailyStatsReadModel.tables)).toEqual(after);
  });
});
