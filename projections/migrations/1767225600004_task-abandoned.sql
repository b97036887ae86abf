-- Up Migration
-- TaskAbandoned: a failed task whose retry window ended with no retry from ops. It has a status of
-- its own in tasks ('abandoned') and a count of its own in daily_stats; it counts against the
-- success rate like a failure, and no longer as in progress.
ALTER TABLE daily_stats ADD COLUMN abandoned integer NOT NULL DEFAULT 0;

CREATE OR REPLACE VIEW v_daily_stats AS
SELECT day, category, tier, received, completed, answered, failed, rate_limited, in_progress, success_rate,
  p50_processing_ms, p95_processing_ms, avg_processing_ms, tokens, cost_usd, abandoned
FROM daily_stats;

CREATE OR REPLACE VIEW v_daily_category_stats AS
SELECT
  f.day,
  coalesce(f.category, CASE WHEN f.keyword IS NOT NULL THEN 'keyword' ELSE 'unclassified' END) AS category,
  count(*)::integer AS received,
  count(*) FILTER (WHERE f.status = 'completed')::integer AS completed,
  count(*) FILTER (WHERE f.status = 'failed')::integer AS failed,
  count(*) FILTER (WHERE f.rate_limited)::integer AS rate_limited,
  round(
    count(*) FILTER (WHERE f.status = 'completed')::numeric
      / nullif(count(*) FILTER (WHERE f.status IN ('completed', 'failed', 'abandoned')), 0),
    4
  ) AS success_rate,
  round((percentile_cont(0.5) WITHIN GROUP (ORDER BY f.processing_ms))::numeric, 1) AS p50_processing_ms,
  round((percentile_cont(0.95) WITHIN GROUP (ORDER BY f.processing_ms))::numeric, 1) AS p95_processing_ms,
  sum(f.tokens)::bigint AS tokens,
  round(sum(f.cost_usd::numeric), 6) AS cost_usd,
  count(*) FILTER (WHERE f.status = 'abandoned')::integer AS abandoned
FROM daily_stats_tasks f
GROUP BY 1, 2;

-- Down Migration
-- A view cannot lose a column in place: drop and recreate both as 0001 made them.
DROP VIEW v_daily_category_stats;
CREATE VIEW v_daily_category_stats AS
SELECT
  f.day,
  coalesce(f.category, CASE WHEN f.keyword IS NOT NULL THEN 'keyword' ELSE 'unclassified' END) AS category,
  count(*)::integer AS received,
  count(*) FILTER (WHERE f.status = 'completed')::integer AS completed,
  count(*) FILTER (WHERE f.status = 'failed')::integer AS failed,
  count(*) FILTER (WHERE f.rate_limited)::integer AS rate_limited,
  round(
    count(*) FILTER (WHERE f.status = 'completed')::numeric
      / nullif(count(*) FILTER (WHERE f.status IN ('completed', 'failed')), 0),
    4
  ) AS success_rate,
  round((percentile_cont(0.5) WITHIN GROUP (ORDER BY f.processing_ms))::numeric, 1) AS p50_processing_ms,
  round((percentile_cont(0.95) WITHIN GROUP (ORDER BY f.processing_ms))::numeric, 1) AS p95_processing_ms,
  sum(f.tokens)::bigint AS tokens,
  round(sum(f.cost_usd::numeric), 6) AS cost_usd
FROM daily_stats_tasks f
GROUP BY 1, 2;
DROP VIEW v_daily_stats;
CREATE VIEW v_daily_stats AS
SELECT day, category, tier, received, completed, answered, failed, rate_limited, in_progress, success_rate,
  p50_processing_ms, p95_processing_ms, avg_processing_ms, tokens, cost_usd
FROM daily_stats;
GRANT SELECT ON v_daily_stats, v_daily_category_stats TO analyst;
ALTER TABLE daily_stats DROP COLUMN abandoned;
