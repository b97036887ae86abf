import { type Static, Type } from '@sinclair/typebox';
import { type Queryable, qualified } from '../shared/sql.js';
import { Day, IsoTime, Nullable, selectRows } from '../shared/view.js';

const I = Type.Integer();
const N = Type.Number();

/** One (UTC day, category, tier) row. */
export const DailyStatsView = Type.Object({
  day: Day,
  category: Type.String(),
  tier: Type.String(),
  received: I,
  completed: I,
  answered: I,
  failed: I,
  rateLimited: I,
  inProgress: I,
  /** Failed tasks whose retry window ended with no retry (TaskAbandoned). */
  abandoned: I,
  /** Tasks a spend cap held back (outcome spend_capped): no AI call. */
  spendCapped: I,
  successRate: Nullable(N),
  p50ProcessingMs: Nullable(N),
  p95ProcessingMs: Nullable(N),
  avgProcessingMs: Nullable(N),
  tokens: I,
  costUsd: N,
});
export type DailyStatsView = Static<typeof DailyStatsView>;

export const DailyStatsFilter = Type.Object({
  /** Inclusive UTC day. */
  from: Type.Optional(Day),
  /** Inclusive UTC day. */
  to: Type.Optional(Day),
  category: Type.Optional(Type.String()),
  tier: Type.Optional(Type.String()),
});
export type DailyStatsFilter = Static<typeof DailyStatsFilter>;

/** Totals over a time range (tasks created in [from, to)). */
export const AnalyticsSummary = Type.Object({
  from: Nullable(IsoTime),
  to: Nullable(IsoTime),
  sms: I,
  answered: I,
  completed: I,
  failed: I,
  /** completed / (completed + failed + abandoned); null when none has settled. */
  successRate: Nullable(N),
  p50LatencyMs: Nullable(N),
  p95LatencyMs: Nullable(N),
  tokens: I,
  costUsd: N,
});
export type AnalyticsSummary = Static<typeof AnalyticsSummary>;

export const TIMESERIES_METRICS = ['sms', 'success_rate', 'latency_p50', 'latency_p95', 'tokens', 'cost'] as const;
export type TimeseriesMetric = (typeof TIMESERIES_METRICS)[number];
export const TIMESERIES_GROUPS = ['category', 'tier', 'model'] as const;
export type TimeseriesGroup = (typeof TIMESERIES_GROUPS)[number];

export const TimeseriesPoint = Type.Object({ bucket: IsoTime, group: Type.String(), value: Nullable(N) });
export type TimeseriesPoint = Static<typeof TimeseriesPoint>;

/** Fixed SQL per metric and group (never built from the caller's text). */
const METRIC_SQL: Record<TimeseriesMetric, string> = {
  sms: 'count(*)',
  success_rate: `round(count(*) FILTER (WHERE t.status = 'completed')::numeric
    / nullif(count(*) FILTER (WHERE t.status IN ('completed', 'failed', 'abandoned')), 0), 4)`,
  latency_p50: 'percentile_cont(0.5) WITHIN GROUP (ORDER BY t.processing_time)',
  latency_p95: 'percentile_cont(0.95) WITHIN GROUP (ORDER BY t.processing_time)',
  tokens: 'coalesce(sum(t.tokens_used), 0)',
  cost: 'round(coalesce(sum(t.cost_usd), 0)::numeric, 6)',
};
const GROUP_SQL: Record<TimeseriesGroup, string> = {
  category: `coalesce(t.category, CASE WHEN t.keyword IS NOT NULL THEN 'keyword' ELSE 'unclassified' END)`,
  // The tier when the SMS arrived, as daily_stats counts it.
  tier: `coalesce(f.tier, 'unknown')`,
  model: `coalesce(t.model, 'none')`,
};

export function dailyStatsQueries(db: Queryable, schema: string) {
  const dailyStats = qualified(schema, 'daily_stats');
  const tasks = qualified(schema, 'tasks');
  const facts = qualified(schema, 'daily_stats_tasks');
  return {
    /**
     * Totals over tasks created in [from, to). From the tasks table, not daily_stats: percentiles
     * of a range cannot be made from daily percentiles.
     */
    async analyticsSummary(range: { from?: string; to?: string } = {}): Promise<AnalyticsSummary> {
      const rows = await selectRows<Omit<AnalyticsSummary, 'from' | 'to'>>(
        db,
        `SELECT count(*) AS sms,
           count(*) FILTER (WHERE outcome = 'answered') AS answered,
           count(*) FILTER (WHERE status = 'completed') AS completed,
           count(*) FILTER (WHERE status IN ('failed', 'abandoned')) AS failed,
           round(count(*) FILTER (WHERE status = 'completed')::numeric
             / nullif(count(*) FILTER (WHERE status IN ('completed', 'failed', 'abandoned')), 0), 4) AS success_rate,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY processing_time) AS p50_latency_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY processing_time) AS p95_latency_ms,
           coalesce(sum(tokens_used), 0)::bigint AS tokens,
           round(coalesce(sum(cost_usd), 0)::numeric, 6) AS cost_usd
         FROM ${tasks}
         WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2)`,
        [range.from ?? null, range.to ?? null],
      );
      const row = rows[0] as Omit<AnalyticsSummary, 'from' | 'to'>;
      return { from: range.from ?? null, to: range.to ?? null, ...row };
    },

    /** One metric per time bucket and group, oldest bucket first. */
    async analyticsTimeseries(options: {
      metric: TimeseriesMetric;
      groupBy?: TimeseriesGroup;
      interval: 'hour' | 'day';
      from?: string;
      to?: string;
    }): Promise<TimeseriesPoint[]> {
      const group = options.groupBy ? GROUP_SQL[options.groupBy] : `'all'`;
      const join = options.groupBy === 'tier' ? `LEFT JOIN ${facts} f ON f.message_sid = t.message_sid` : '';
      const interval = options.interval === 'hour' ? 'hour' : 'day';
      return selectRows<TimeseriesPoint>(
        db,
        `SELECT date_trunc('${interval}', t.created_at, 'UTC') AS bucket, ${group} AS "group",
           (${METRIC_SQL[options.metric]})::double precision AS value
         FROM ${tasks} t ${join}
         WHERE t.created_at IS NOT NULL
           AND ($1::timestamptz IS NULL OR t.created_at >= $1) AND ($2::timestamptz IS NULL OR t.created_at < $2)
         GROUP BY 1, 2 ORDER BY 1, 2`,
        [options.from ?? null, options.to ?? null],
      );
    },

    /** Rows by day, category, tier; an empty filter returns everything. */
    async dailyStats(filter: DailyStatsFilter = {}): Promise<DailyStatsView[]> {
      return selectRows<DailyStatsView>(
        db,
        `SELECT day, category, tier, received, completed, answered, failed, rate_limited, in_progress, abandoned,
           spend_capped, success_rate, p50_processing_ms, p95_processing_ms, avg_processing_ms, tokens, cost_usd
         FROM ${dailyStats}
         WHERE ($1::date IS NULL OR day >= $1) AND ($2::date IS NULL OR day <= $2)
           AND ($3::text IS NULL OR category = $3) AND ($4::text IS NULL OR tier = $4)
         ORDER BY day, category, tier`,
        [filter.from ?? null, filter.to ?? null, filter.category ?? null, filter.tier ?? null],
      );
    },
  };
}
