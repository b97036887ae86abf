import { type Static, Type } from '@sinclair/typebox';
import { type Queryable, qualified } from '../shared/sql.js';
import { Day, Nullable, selectRows } from '../shared/view.js';

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

export function dailyStatsQueries(db: Queryable, schema: string) {
  const dailyStats = qualified(schema, 'daily_stats');
  return {
    /** Rows by day, category, tier; an empty filter returns everything. */
    async dailyStats(filter: DailyStatsFilter = {}): Promise<DailyStatsView[]> {
      return selectRows<DailyStatsView>(
        db,
        `SELECT day, category, tier, received, completed, answered, failed, rate_limited, in_progress, abandoned,
           success_rate, p50_processing_ms, p95_processing_ms, avg_processing_ms, tokens, cost_usd
         FROM ${dailyStats}
         WHERE ($1::date IS NULL OR day >= $1) AND ($2::date IS NULL OR day <= $2)
           AND ($3::text IS NULL OR category = $3) AND ($4::text IS NULL OR tier = $4)
         ORDER BY day, category, tier`,
        [filter.from ?? null, filter.to ?? null, filter.category ?? null, filter.tier ?? null],
      );
    },
  };
}
