-- Up Migration
-- Analysts see the SMS held back by a spend cap (daily_stats.spend_capped, migration 009) in their
-- view of the daily figures, like the other outcomes. A column added at the end: CREATE OR REPLACE
-- keeps the view's grants.
CREATE OR REPLACE VIEW v_daily_stats AS
SELECT day, category, tier, received, completed, answered, failed, rate_limited, in_progress, success_rate,
  p50_processing_ms, p95_processing_ms, avg_processing_ms, tokens, cost_usd, abandoned, spend_capped
FROM daily_stats;

-- Down Migration
DROP VIEW v_daily_stats;
CREATE VIEW v_daily_stats AS
SELECT day, category, tier, received, completed, answered, failed, rate_limited, in_progress, success_rate,
  p50_processing_ms, p95_processing_ms, avg_processing_ms, tokens, cost_usd, abandoned
FROM daily_stats;
GRANT SELECT ON v_daily_stats TO analyst;
