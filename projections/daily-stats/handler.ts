import { assertNever, defineReadModel, type ProjectionEvent, type ProjectionTx } from '../runtime/types.js';
import { loadRows, type Row, saveRows, selectRowsBy, utcDay } from '../shared/rows.js';
import { streamId } from '../shared/streams.js';

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

/** The group a task counts in (migration 011 says the same in SQL for the rows it fills in). */
const categoryOf = (f: Row) => (f.category ?? (f.keyword !== null ? 'keyword' : 'unclassified')) as string;
const tierOf = (f: Row) => (f.tier ?? 'unknown') as string;

/**
 * daily_stats. Counters bumped per event would double-count on a replay, so this projection keeps
 * one fact row per task (daily_stats_tasks, guarded by stream revision) and adds each changed
 * fact's difference to its (day, category, tier) rows: the fact as it was before the batch is
 * taken away from its group, the fact as it is after is added to its own. The counters are sums
 * (integers; cost in unbounded numeric) and p50/p95 come from a latency histogram per group
 * (daily_stats_latency, migration 011), so the figures do not depend on where batches start and
 * end, and a batch costs what it changes, not what the day holds.
 * Tier: the sender's tier when the SMS arrived, kept from their user stream (daily_stats_tiers);
 * a first SMS usually precedes UserRegistered, so UserRegistered fills in the tier of earlier facts
 * (loaded with the batch: facts without a tier of the people registering in it).
 */
export const dailyStatsReadModel = defineReadModel<(typeof DAILY_STATS_EVENTS)[number]>({
  name: 'daily_stats',
  handles: DAILY_STATS_EVENTS,
  tables: ['daily_stats', 'daily_stats_tasks', 'daily_stats_tiers', 'daily_stats_latency'],
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
    // Each fact as the tables hold it now: its share of the counters comes off before the new is added.
    const before = new Map([...facts].map(([sid, fact]) => [sid, { ...fact }]));
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
            fact.tier = event.data.tier;
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
      changedFacts.add(fact);
    }

    saveRows(tx, 'daily_stats_tiers', 'phone', TIER_COLUMNS, changedTiers);
    saveRows(tx, 'daily_stats_tasks', 'message_sid', FACT_COLUMNS, changedFacts);
    const shares: Share[] = [];
    for (const fact of changedFacts) {
      const earlier = before.get(fact.message_sid as string);
      if (earlier) shares.push(shareOf(earlier, -1));
      shares.push(shareOf(fact, 1));
    }
    addShares(tx, shares);
  },
});

/** What one fact adds to (sign 1) or takes from (sign -1) the counters of its group. */
interface Share {
  sign: 1 | -1;
  day: unknown;
  category: string;
  tier: string;
  status: unknown;
  outcome: unknown;
  rate_limited: unknown;
  processing_ms: unknown;
  tokens: unknown;
  cost_usd: unknown;
}

const shareOf = (f: Row, sign: 1 | -1): Share => ({
  sign,
  day: f.day,
  category: categoryOf(f),
  tier: tierOf(f),
  status: f.status,
  outcome: f.outcome,
  rate_limited: f.rate_limited,
  processing_ms: f.processing_ms,
  tokens: f.tokens,
  cost_usd: f.cost_usd,
});

const SHARES = `json_to_recordset($1::json) AS c(sign integer, day date, category text, tier text, status text,
  outcome text, rate_limited boolean, processing_ms integer, tokens integer, cost_usd double precision)`;
const GROUPS = 'json_to_recordset($1::json) AS g(day date, category text, tier text)';
const inGroup = (t: string, g = 'g') =>
  `${t}.day = ${g}.day AND ${t}.category = ${g}.category AND ${t}.tier = ${g}.tier`;
const COUNTERS = [
  'received',
  'completed',
  'answered',
  'failed',
  'rate_limited',
  'in_progress',
  'abandoned',
  'spend_capped',
  'tokens',
  'cost_usd_sum',
  'processing_ms_sum',
  'processing_ms_count',
] as const;

/**
 * Adds the shares to their groups (queued writes, in order): the counters and the latency
 * histogram; then drops what no fact holds any more and works out the figures derived from the
 * sums. A percentile interpolates between the bucket means at ranks floor(q(n-1)) and
 * ceil(q(n-1)), as percentile_cont does between values (see migration 011 for the buckets).
 */
function addShares(tx: ProjectionTx, shares: Share[]): void {
  if (shares.length === 0) return;
  const groups = new Map(shares.map((c) => [JSON.stringify([c.day, c.category, c.tier]), c]));
  const keys = [...groups.values()].map(({ day, category, tier }) => ({ day, category, tier }));
  const count = (when: string) => `coalesce(sum(c.sign) FILTER (WHERE ${when}), 0)`;
  tx.defer(
    `INSERT INTO daily_stats AS s (day, category, tier, ${COUNTERS.join(', ')}, cost_usd)
     SELECT c.day, c.category, c.tier, sum(c.sign),
       ${count("c.status = 'completed'")}, ${count("c.outcome = 'answered'")}, ${count("c.status = 'failed'")},
       ${count('c.rate_limited')}, ${count("c.status NOT IN ('completed', 'failed', 'abandoned')")},
       ${count("c.status = 'abandoned'")}, ${count("c.outcome = 'spend_capped'")},
       sum(c.sign * c.tokens), sum(c.sign * c.cost_usd::numeric),
       coalesce(sum(c.sign * c.processing_ms::bigint), 0), ${count('c.processing_ms IS NOT NULL')},
       round(sum(c.sign * c.cost_usd::numeric), 6)
     FROM ${SHARES} GROUP BY c.day, c.category, c.tier
     ON CONFLICT (day, category, tier) DO UPDATE SET
       ${COUNTERS.map((k) => `${k} = s.${k} + EXCLUDED.${k}`).join(', ')},
       cost_usd = round(s.cost_usd_sum + EXCLUDED.cost_usd_sum, 6)`,
    [shares],
  );
  tx.defer(
    `INSERT INTO daily_stats_latency AS h (day, category, tier, bucket, tasks, ms_sum)
     SELECT c.day, c.category, c.tier, daily_stats_bucket(c.processing_ms), sum(c.sign), sum(c.sign * c.processing_ms::bigint)
     FROM ${SHARES} WHERE c.processing_ms IS NOT NULL GROUP BY 1, 2, 3, 4
     ON CONFLICT (day, category, tier, bucket) DO UPDATE SET tasks = h.tasks + EXCLUDED.tasks, ms_sum = h.ms_sum + EXCLUDED.ms_sum`,
    [shares],
  );
  tx.defer(`DELETE FROM daily_stats_latency h USING ${GROUPS} WHERE ${inGroup('h')} AND h.tasks = 0`, [keys]);
  tx.defer(`DELETE FROM daily_stats s USING ${GROUPS} WHERE ${inGroup('s')} AND s.received = 0`, [keys]);
  const at = (rank: string) =>
    `(SELECT h.v FROM h WHERE ${inGroup('h', 'r')} AND h.below <= ${rank} ORDER BY h.bucket DESC LIMIT 1)`;
  tx.defer(
    `WITH g AS (SELECT * FROM ${GROUPS}),
     h AS MATERIALIZED (
       SELECT h.day, h.category, h.tier, h.bucket, h.ms_sum::double precision / h.tasks AS v,
         sum(h.tasks) OVER (PARTITION BY h.day, h.category, h.tier ORDER BY h.bucket) - h.tasks AS below,
         sum(h.tasks) OVER (PARTITION BY h.day, h.category, h.tier) AS n
       FROM daily_stats_latency h JOIN g ON ${inGroup('h')}),
     r AS (
       SELECT DISTINCT h.day, h.category, h.tier, q.q, q.q * (h.n - 1) AS rank
       FROM h CROSS JOIN (VALUES (0.5::double precision), (0.95::double precision)) AS q(q)),
     v AS (
       SELECT r.day, r.category, r.tier, r.q, ${at('floor(r.rank)')} AS lo, ${at('ceil(r.rank)')} AS hi,
         r.rank - floor(r.rank) AS frac
       FROM r),
     p AS (
       SELECT day, category, tier, max(lo + (hi - lo) * frac) FILTER (WHERE q = 0.5) AS p50,
         max(lo + (hi - lo) * frac) FILTER (WHERE q = 0.95) AS p95
       FROM v GROUP BY day, category, tier)
     UPDATE daily_stats s SET
       success_rate = round(s.completed::numeric / nullif(s.completed + s.failed + s.abandoned, 0), 4),
       avg_processing_ms = round(s.processing_ms_sum::numeric / nullif(s.processing_ms_count, 0), 1),
       p50_processing_ms = round(p.p50::numeric, 1),
       p95_processing_ms = round(p.p95::numeric, 1)
     FROM g LEFT JOIN p ON p.day = g.day AND p.category = g.category AND p.tier = g.tier
     WHERE ${inGroup('s')}`,
    [keys],
  );
}
