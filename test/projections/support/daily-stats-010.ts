/**
 * The daily_stats handler as it was up to read-model migration 010 (recomputing each touched group
 * from its facts): test/projections/daily-stats.int.test.ts builds a deployment's state with it,
 * then checks that migration 011 and the current handler carry on from there. Not used elsewhere.
 */
import {
  assertNever,
  defineReadModel,
  type ProjectionEvent,
  type ProjectionTx,
} from '../../../projections/runtime/types.js';
import { loadRows, type Row, saveRows, selectRowsBy, utcDay } from '../../../projections/shared/rows.js';
import { streamId } from '../../../projections/shared/streams.js';

export const DAILY_STATS_EVENTS = [
  'SmsReceived',
  'KeywordDetected',
  'TaskClassified',
  'RateLimited',
  'AiResponseGenerated',
  'TaskCompleted',
  'TaskFailed',
  'TaskRetryRequested',
  'TaskAbandoned',
  'UserRegistered',
  'TierChanged',
] as const;
type DailyStatsProjectionEvent = ProjectionEvent<(typeof DAILY_STATS_EVENTS)[number]>;

const FACT_COLUMNS = [
  'message_sid',
  'user_phone',
  'day',
  'category',
  'keyword',
  'tier',
  'status',
  'outcome',
  'rate_limited',
  'processing_ms',
  'tokens',
  'cost_usd',
  'revision',
] as const;
const TIER_COLUMNS = ['phone', 'tier', 'revision'] as const;

/** The group a task counts in; categorySql/tierSql say the same in SQL. */
const categoryOf = (f: Row) => (f.category ?? (f.keyword !== null ? 'keyword' : 'unclassified')) as string;
const tierOf = (f: Row) => (f.tier ?? 'unknown') as string;
const groupOf = (f: Row) => JSON.stringify([f.day, categoryOf(f), tierOf(f)]);
const categorySql = (f: string) =>
  `coalesce(${f}.category, CASE WHEN ${f}.keyword IS NOT NULL THEN 'keyword' ELSE 'unclassified' END)`;
const tierSql = (f: string) => `coalesce(${f}.tier, 'unknown')`;

/**
 * daily_stats. Percentiles (p50/p95 processing time) cannot be maintained incrementally and
 * counters bumped per event would double-count on a replay, so this projection keeps one fact row
 * per task (daily_stats_tasks, guarded by stream revision) and recomputes the (day, category,
 * tier) rows those facts fall in, before and after the batch, in the same transaction.
 * Recomputation gives the same figures however the log is cut into batches, so rebuilds match.
 * Tier: the sender's tier when the SMS arrived, kept from their user stream (daily_stats_tiers);
 * a first SMS usually precedes UserRegistered, so UserRegistered fills in the tier of earlier facts
 * (loaded with the batch: facts without a tier of the people registering in it).
 */
export const dailyStatsReadModel010 = defineReadModel<(typeof DAILY_STATS_EVENTS)[number]>({
  name: 'daily_stats',
  handles: DAILY_STATS_EVENTS,
  tables: ['daily_stats', 'daily_stats_tasks', 'daily_stats_tiers'],
  async apply(tx, events) {
    const sidOf = (e: DailyStatsProjectionEvent) => streamId(e.streamName, 'sms');
    const phones = new Set<string>();
    for (const e of events) {
      if (e.type === 'SmsReceived') phones.add(e.data.from);
      const phone = streamId(e.streamName, 'user');
      if (phone !== undefined) phones.add(phone);
    }
    const tiers = await loadRows(tx, 'daily_stats_tiers', 'phone', phones);
    // The tasks of this batch, and the untiered facts of people who register in it (to fill in).
    const registering = events.filter((e) => e.type === 'UserRegistered').map((e) => streamId(e.streamName, 'user'));
    const facts = await selectRowsBy(
      tx,
      `SELECT * FROM daily_stats_tasks WHERE message_sid = ANY($1::text[]) OR (tier IS NULL AND user_phone = ANY($2::text[]))`,
      [[...new Set(events.map(sidOf).filter((s) => s !== undefined))], registering],
      'message_sid',
    );
    const groups = new Set<string>();
    const changedFacts = new Set<Row>();
    const changedTiers = new Set<Row>();

    for (const event of events) {
      const phone = streamId(event.streamName, 'user');
      if (phone !== undefined) {
        if (event.type !== 'UserRegistered' && event.type !== 'TierChanged') continue;
        let row = tiers.get(phone);
        if (row && event.revision <= Number(row.revision)) continue;
        row ??= { phone };
        Object.assign(row, { tier: event.data.tier, revision: event.revision });
        tiers.set(phone, row);
        changedTiers.add(row);
        if (event.type === 'UserRegistered') {
          for (const fact of facts.values()) {
            if (fact.user_phone !== phone || fact.tier !== null) continue;
            groups.add(groupOf(fact));
            fact.tier = event.data.tier;
            groups.add(groupOf(fact));
            changedFacts.add(fact);
          }
        }
        continue;
      }
      const sid = sidOf(event);
      if (sid === undefined) continue;
      let fact = facts.get(sid);
      if (event.type === 'SmsReceived' && !fact) {
        fact = {
          message_sid: sid,
          user_phone: event.data.from,
          day: utcDay(event.data.receivedAt),
          category: null,
          keyword: null,
          tier: tiers.get(event.data.from)?.tier ?? null,
          status: 'received',
          outcome: null,
          rate_limited: false,
          processing_ms: null,
          tokens: 0,
          cost_usd: 0,
          revision: -1,
        };
        facts.set(sid, fact);
      }
      // Steps of a task whose SmsReceived is missing cannot be dated: nothing to count.
      if (!fact || event.revision <= Number(fact.revision)) continue;
      groups.add(groupOf(fact));
      switch (event.type) {
        case 'SmsReceived':
          break;
        case 'KeywordDetected':
          fact.keyword = event.data.keyword;
          break;
        case 'TaskClassified':
          fact.category = event.data.category;
          break;
        case 'RateLimited':
          fact.rate_limited = true;
          break;
        case 'AiResponseGenerated':
          fact.tokens = Number(fact.tokens) + event.data.promptTokens + event.data.completionTokens;
          fact.cost_usd = Number(fact.cost_usd) + event.data.costUsd;
          break;
        case 'TaskCompleted':
          Object.assign(fact, {
            status: 'completed',
            outcome: event.data.outcome,
            processing_ms: event.data.processingMs,
          });
          break;
        case 'TaskFailed':
          fact.status = 'failed';
          break;
        case 'TaskRetryRequested':
          fact.status = 'retrying';
          break;
        case 'TaskAbandoned':
          fact.status = 'abandoned';
          break;
        case 'UserRegistered':
        case 'TierChanged':
          break;
        default:
          assertNever(event);
      }
      fact.revision = event.revision;
      groups.add(groupOf(fact));
      changedFacts.add(fact);
    }

    saveRows(tx, 'daily_stats_tiers', 'phone', TIER_COLUMNS, changedTiers);
    saveRows(tx, 'daily_stats_tasks', 'message_sid', FACT_COLUMNS, changedFacts);
    recompute(tx, groups);
  },
});

/** Replaces the daily_stats rows of the given groups by aggregates of their facts (queued writes). */
function recompute(tx: ProjectionTx, groups: Set<string>): void {
  if (groups.size === 0) return;
  const keys = [...groups].map((g) => {
    const [day, category, tier] = JSON.parse(g) as [string, string, string];
    return { day, category, tier };
  });
  const affected = 'json_to_recordset($1::json) AS g(day date, category text, tier text)';
  tx.defer(
    `DELETE FROM daily_stats s USING ${affected} WHERE s.day = g.day AND s.category = g.category AND s.tier = g.tier`,
    [keys],
  );
  tx.defer(
    `INSERT INTO daily_stats (day, category, tier, received, completed, answered, failed, rate_limited, in_progress,
       success_rate, p50_processing_ms, p95_processing_ms, avg_processing_ms, tokens, cost_usd, abandoned, spend_capped)
     SELECT g.day, g.category, g.tier,
       count(*),
       count(*) FILTER (WHERE f.status = 'completed'),
       count(*) FILTER (WHERE f.outcome = 'answered'),
       count(*) FILTER (WHERE f.status = 'failed'),
       count(*) FILTER (WHERE f.rate_limited),
       count(*) FILTER (WHERE f.status NOT IN ('completed', 'failed', 'abandoned')),
       round(count(*) FILTER (WHERE f.status = 'completed')::numeric
         / nullif(count(*) FILTER (WHERE f.status IN ('completed', 'failed', 'abandoned')), 0), 4),
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY f.processing_ms))::numeric, 1),
       round((percentile_cont(0.95) WITHIN GROUP (ORDER BY f.processing_ms))::numeric, 1),
       round(avg(f.processing_ms), 1),
       sum(f.tokens),
       round(sum(f.cost_usd::numeric), 6),
       count(*) FILTER (WHERE f.status = 'abandoned'),
       count(*) FILTER (WHERE f.outcome = 'spend_capped')
     FROM daily_stats_tasks f
     JOIN ${affected} ON f.day = g.day AND ${categorySql('f')} = g.category AND ${tierSql('f')} = g.tier
     GROUP BY g.day, g.category, g.tier`,
    [keys],
  );
}
