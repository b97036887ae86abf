import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyStatsReadModel } from '../../projections/daily-stats/handler.js';
import { aiSpendBetween, aiSpendOn } from '../../projections/daily-stats/spend.js';
import { createReadModelQueries } from '../../projections/queries.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import { tasksReadModel } from '../../projections/tasks/handler.js';
import { applyAgain, dumpTables, eventLog, project, readModelDatabase } from './support/harness.js';

let db: Awaited<ReturnType<typeof readModelDatabase>>;
let queries: ReturnType<typeof createReadModelQueries>;

beforeAll(async () => {
  db = await readModelDatabase();
  queries = createReadModelQueries(db.pool);
});
afterAll(async () => db?.close());

const PHONE = '+14155550701';

function received(log: ReturnType<typeof eventLog>, sid: string, receivedAt: string) {
  log.sms(sid, 'SmsReceived', {
    messageSid: sid,
    from: PHONE,
    to: '+14155550100',
    body: 'q',
    numMedia: 0,
    provider: 'twilio',
    receivedAt,
  });
  log.sms(sid, 'TaskClassified', {
    category: 'general',
    priority: 'normal',
    complexityScore: 0.2,
    model: 'gpt-4o-mini',
    classifier: 'rules',
  });
}

/** Given: one answered SMS that cost $0.25 and one held back by the person's day cap, on 2026-02-03. */
function spendDay() {
  const log = eventLog('2026-02-03T10:00:00.000Z');
  log.user(PHONE, 'UserRegistered', { phone: PHONE, tier: 'free', registeredAt: '2026-02-01T00:00:00.000Z' });
  received(log, 'SP1', '2026-02-03T10:00:00.000Z');
  log.sms('SP1', 'AiResponseGenerated', {
    model: 'gpt-4o-mini',
    fallbackUsed: false,
    text: 'a',
    promptTokens: 10,
    completionTokens: 10,
    costUsd: 0.25,
    latencyMs: 5,
  });
  log.sms('SP1', 'TaskCompleted', { outcome: 'answered', processingMs: 100 });
  received(log, 'SP2', '2026-02-03T11:00:00.000Z');
  log.sms('SP2', 'SpendCapped', {
    scope: 'user',
    window: 'day',
    capUsd: 0.2,
    retryAt: '2026-02-04T00:00:00.000Z',
    notified: true,
  });
  log.sms('SP2', 'TaskCompleted', { outcome: 'spend_capped', processingMs: 50 });
  return log;
}

describe('spend in the read models', () => {
  it('given an SMS held by a spend cap, then its task shows the outcome and the cap, and daily_stats counts it', async () => {
    const log = spendDay();
    await project(db.pool, tasksReadModel, log.events);
    await project(db.pool, dailyStatsReadModel, log.events, { batchSize: 2 });

    expect(await queries.getTask('SP2')).toMatchObject({
      status: 'completed',
      outcome: 'spend_capped',
      rateLimitWindow: 'day',
      rateLimitRetryAt: '2026-02-04T00:00:00.000Z',
      metadata: { spendCap: { scope: 'user', window: 'day', capUsd: 0.2, notified: true } },
    });
    expect(await queries.dailyStats({ from: '2026-02-03', to: '2026-02-03' })).toMatchObject([
      { received: 2, answered: 1, spendCapped: 1, rateLimited: 0, costUsd: 0.25 },
    ]);
    // Analysts see the count in their view of the daily figures (migration 010)
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE analyst');
      const { rows } = await client.query(
        `SELECT spend_capped FROM ${READ_MODEL_SCHEMA}.v_daily_stats WHERE day = '2026-02-03'`,
      );
      expect(rows).toEqual([{ spend_capped: 1 }]);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    // Everyone's spend, as the worker's budget check and the Overview read it
    expect(await aiSpendOn(db.pool, '2026-02-03')).toBe(0.25);
    expect(await aiSpendOn(db.pool, '2026-02-04')).toBe(0);
    expect(await aiSpendBetween(db.pool, '2026-02-01', '2026-02-28')).toBe(0.25);
  });

  it('given the same events applied again, then nothing changes', async () => {
    const log = spendDay();
    const before = {
      tasks: await dumpTables(db.pool, tasksReadModel.tables),
      stats: await dumpTables(db.pool, dailyStatsReadModel.tables),
    };
    await applyAgain(db.pool, tasksReadModel, log.events);
    await applyAgain(db.pool, dailyStatsReadModel, log.events);
    expect(await dumpTables(db.pool, tasksReadModel.tables)).toEqual(before.tasks);
    expect(await dumpTables(db.pool, dailyStatsReadModel.tables)).toEqual(before.stats);
  });
});
