-- Up Migration
-- daily_stats kept incrementally. Until now each batch recomputed every (day, category, tier) row
-- it touched from all of that group's facts (percentile_cont sorts them), so a batch cost grew with
-- the day's traffic: every new SMS lands in (today, 'unclassified', 'unknown') first, and a busy
-- day's groups hold tens of thousands of facts. Now a batch adds each changed fact's difference
-- (its row after the batch minus its row before) to the counters, and p50/p95 come from a latency
-- histogram per group. Sums are exact (integers, and cost in unbounded numeric), so the figures
-- still do not depend on where batches start and end, and a rebuild reproduces them.
ALTER TABLE daily_stats
  ADD COLUMN processing_ms_sum bigint NOT NULL DEFAULT 0,
  ADD COLUMN processing_ms_count integer NOT NULL DEFAULT 0,
  -- cost_usd is this rounded to 6 places, as round(sum(cost)) was.
  ADD COLUMN cost_usd_sum numeric NOT NULL DEFAULT 0;

-- Latency buckets about 1% wide on a log scale (0 for 0 ms), with the tasks in each and their
-- processing times' sum: a percentile interpolates between bucket means as percentile_cont does
-- between values, so it is exact when a bucket's tasks took the same time and within 1% otherwise.
CREATE FUNCTION daily_stats_bucket(ms integer) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN ms <= 0 THEN 0 ELSE 1 + floor(ln(ms::double precision) / ln(1.01::double precision))::integer END $$;

CREATE TABLE daily_stats_latency (
  day date NOT NULL,
  category text NOT NULL,
  tier text NOT NULL,
  bucket integer NOT NULL,
  tasks integer NOT NULL,
  ms_sum bigint NOT NULL,
  PRIMARY KEY (day, category, tier, bucket)
);

-- Existing rows: the new sums and buckets from their facts.
UPDATE daily_stats s
SET processing_ms_sum = f.ms_sum, processing_ms_count = f.ms_count, cost_usd_sum = f.cost
FROM (
  SELECT day,
    coalesce(category, CASE WHEN keyword IS NOT NULL THEN 'keyword' ELSE 'unclassified' END) AS category,
    coalesce(tier, 'unknown') AS tier,
    coalesce(sum(processing_ms), 0) AS ms_sum, count(processing_ms) AS ms_count, sum(cost_usd::numeric) AS cost
  FROM daily_stats_tasks GROUP BY 1, 2, 3
) f
WHERE s.day = f.day AND s.category = f.category AND s.tier = f.tier;

INSERT INTO daily_stats_latency (day, category, tier, bucket, tasks, ms_sum)
SELECT day,
  coalesce(category, CASE WHEN keyword IS NOT NULL THEN 'keyword' ELSE 'unclassified' END),
  coalesce(tier, 'unknown'),
  daily_stats_bucket(processing_ms), count(*), sum(processing_ms)
FROM daily_stats_tasks WHERE processing_ms IS NOT NULL GROUP BY 1, 2, 3, 4;

-- Down Migration
DROP TABLE daily_stats_latency;
DROP FUNCTION daily_stats_bucket(integer);
ALTER TABLE daily_stats DROP COLUMN processing_ms_sum, DROP COLUMN processing_ms_count, DROP COLUMN cost_usd_sum;
