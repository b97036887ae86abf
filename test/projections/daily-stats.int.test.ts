import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../bench/support/prng.js';
import { dailyStatsReadModel } from '../../projections/daily-stats/handler.js';
import { migrateReadModels } from '../../projections/migrate.js';
import { createReadModelQueries } from '../../projections/queries.js';
import { applyAgain, dumpTables, eventLog, project, readModelDatabase, rows, SCHEMA } from './support/harness.js';

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

  it('given a busy day in small batches, then counts, sums and rates equal a recount of the facts, and p50/p95 are within 1% of percentile_cont', async () => {
    // Given 1,500 tasks over one day: two categories, two tiers (some people register late), some
    // failures, retries and abandonments, processing times from 1 ms to 10 minutes, many equal
    const random = seededRandom(18);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
    const log = eventLog('2026-02-03T00:00:00.000Z');
    const people = Array.from({ length: 40 }, (_, i) => `+1415556${String(i).padStart(4, '0')}`);
    const registered = new Set<string>();
    for (let i = 0; i < 1500; i++) {
      const phone = pick(people);
      const processingMs = random() < 0.2 ? pick([250, 1000, 1000, 4000]) : Math.floor(Math.exp(random() * 13.3));
      const fail = random() < 0.1;
      task(log, `B${i}`, phone, '2026-02-03T10:00:00.000Z', {
        processingMs,
        category: pick(['coding', 'general'] as const),
        fail,
        abandon: fail && random() < 0.5,
        tokens: Math.floor(random() * 500),
        cost: Math.floor(random() * 1e7) / 1e9,
      });
      if (fail && random() < 0.3) {
        log.sms(`B${i}`, 'TaskRetryRequested', { requestedBy: 'ops', round: 1 });
        if (random() < 0.5) log.sms(`B${i}`, 'TaskCompleted', { outcome: 'answered', processingMs: processingMs + 1 });
      }
      if (!registered.has(phone) && random() < 0.05) {
        registered.add(phone);
        log.user(phone, 'UserRegistered', {
          phone,
          tier: pick(['free', 'premium']),
          registeredAt: '2026-02-03T09:00:00.000Z',
        });
      }
    }

    // When it is projected in batches of 37
    await project(db.pool, dailyStatsReadModel, log.events, { batchSize: 37 });

    // Then each (category, tier) row matches the facts recounted as one query, as before migration 011
    const recount = await rows<Record<string, unknown>>(
      db.pool,
      `SELECT coalesce(category, 'unclassified') AS category, coalesce(tier, 'unknown') AS tier,
         count(*)::int AS received, (count(*) FILTER (WHERE status = 'completed'))::int AS completed,
         (count(*) FILTER (WHERE status = 'failed'))::int AS failed,
         (count(*) FILTER (WHERE status = 'abandoned'))::int AS abandoned,
         (count(*) FILTER (WHERE status NOT IN ('completed', 'failed', 'abandoned')))::int AS in_progress,
         round(count(*) FILTER (WHERE status = 'completed')::numeric
           / nullif(count(*) FILTER (WHERE status IN ('completed', 'failed', 'abandoned')), 0), 4)::float8 AS success_rate,
         round(avg(processing_ms), 1)::float8 AS avg_ms, sum(tokens)::int AS tokens,
         round(sum(cost_usd::numeric), 6)::float8 AS cost_usd,
         (percentile_cont(0.5) WITHIN GROUP (ORDER BY processing_ms)) AS p50,
         (percentile_cont(0.95) WITHIN GROUP (ORDER BY processing_ms)) AS p95
       FROM rm.daily_stats_tasks WHERE day = '2026-02-03' GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const stats = await queries.dailyStats({ from: '2026-02-03', to: '2026-02-03' });
    expect(stats.map((r) => [r.category, r.tier])).toEqual(recount.map((r) => [r.category, r.tier]));
    expect(recount.length).toBeGreaterThanOrEqual(4);
    for (const [i, r] of recount.entries()) {
      const row = stats[i];
      expect(row).toMatchObject({
        received: r.received,
        completed: r.completed,
        failed: r.failed,
        abandoned: r.abandoned,
        inProgress: r.in_progress,
        successRate: r.success_rate,
        avgProcessingMs: r.avg_ms,
        tokens: r.tokens,
        costUsd: r.cost_usd,
      });
      for (const [got, exact] of [
        [row?.p50ProcessingMs, r.p50],
        [row?.p95ProcessingMs, r.p95],
      ] as const) {
        expect(Math.abs(Number(got) - Number(exact))).toBeLessThanOrEqual(Number(exact) * 0.01 + 0.05);
      }
    }
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

describe('read-model migration 011 on a deployment with daily_stats', () => {
  it('given a deployment at migration 010 with daily_stats, when migrated, then the current handler carries on to the figures of a clean replay', async () => {
    // Given a day half projected, and the read models taken back to migration 010 (011's down
    // migration drops the sums and the histogram: what a deployment before 011 holds, its facts
    // and its daily_stats rows)
    const log = eventLog('2026-03-04T00:00:00.000Z');
    const phone = '+14155550601';
    for (const [i, ms] of [800, 1200, 1200, 5000].entries()) {
      task(log, `M${i}`, phone, '2026-03-04T08:00:00.000Z', { processingMs: ms, cost: 0.0000015 });
    }
    task(log, 'M9', '+14155550602', '2026-03-04T08:30:00.000Z', { processingMs: 0, fail: true });
    const half = log.events.length;
    log.user(phone, 'UserRegistered', { phone, tier: 'premium', registeredAt: '2026-03-04T07:00:00.000Z' });
    task(log, 'M5', phone, '2026-03-04T09:00:00.000Z', { processingMs: 3000, category: 'general' });
    log.sms('M9', 'TaskRetryRequested', { requestedBy: 'ops', round: 1 });
    log.sms('M9', 'TaskCompleted', { outcome: 'answered', processingMs: 700 });

    const old = await readModelDatabase();
    const fresh = await readModelDatabase();
    try {
      await project(old.pool, dailyStatsReadModel, log.events.slice(0, half), { batchSize: 2 });
      await runner({
        databaseUrl: old.url,
        dir: fileURLToPath(new URL('../../projections/migrations', import.meta.url)),
        direction: 'down',
        count: 1,
        schema: SCHEMA,
        migrationsSchema: SCHEMA,
        migrationsTable: 'pgmigrations',
        log: () => {},
      });
      expect(await rows(old.pool, `SELECT to_regclass('rm.daily_stats_latency') AS t`)).toEqual([{ t: null }]);

      // When migrated, and the rest of the day projected by the current handler
      expect(await migrateReadModels(old.url)).toContain('1767225600011_daily-stats-incremental');
      await project(old.pool, dailyStatsReadModel, log.events.slice(half), { batchSize: 2 });

      // Then every figure equals a replay of the whole day by the current handler
      await project(fresh.pool, dailyStatsReadModel, log.events, { batchSize: 3 });
      const tables = ['daily_stats', 'daily_stats_latency', 'daily_stats_tasks', 'daily_stats_tiers'];
      const migrated = await dumpTables(old.pool, tables);
      expect(migrated).toEqual(await dumpTables(fresh.pool, tables));
      expect(migrated.daily_stats).toHaveLength(3);
    } finally {
      await old.close();
      await fresh.close();
    }
  });
});
