-- Up Migration
-- Views for analysts: the stable, documented interface to the read models (projections/README.md).
-- They live in the read-model schema itself, so a rebuild's schema swap carries them along and
-- they never point at the replaced tables. They leave out message bodies and show phone numbers
-- masked, with user_key (md5 of the number) to group or join by person.

CREATE VIEW v_tasks AS
SELECT
  t.message_sid,
  t.created_at,
  (t.created_at AT TIME ZONE 'UTC')::date AS day,
  md5(t.user_phone) AS user_key,
  left(t.user_phone, 5) || '***' || right(t.user_phone, 4) AS phone_masked,
  t.category,
  t.priority,
  t.complexity_score,
  t.classifier,
  t.keyword,
  t.status,
  t.outcome,
  t.success,
  t.model,
  t.fallback_used,
  t.prompt_tokens,
  t.completion_tokens,
  t.tokens_used,
  t.cost_usd,
  t.ai_latency_ms,
  t.processing_time AS processing_ms,
  char_length(t.sms_content) AS sms_chars,
  char_length(t.ai_response) AS response_chars,
  t.reply_kind,
  t.reply_count,
  t.segments,
  t.delivery_status,
  t.delivery_error_code,
  t.rounds,
  t.failures,
  t.error_type,
  t.failed_step,
  t.rate_limit_window,
  t.completed_at
FROM tasks t;

CREATE VIEW v_daily_stats AS
SELECT day, category, tier, received, completed, answered, failed, rate_limited, in_progress, success_rate,
  p50_processing_ms, p95_processing_ms, avg_processing_ms, tokens, cost_usd
FROM daily_stats;

-- Per day and category across tiers: percentiles do not add up, so this reads the per-task facts.
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

CREATE VIEW v_user_activity AS
SELECT
  md5(u.phone) AS user_key,
  left(u.phone, 5) || '***' || right(u.phone, 4) AS phone_masked,
  u.tier,
  u.created_at,
  u.last_active_at,
  u.total_requests,
  CASE WHEN u.requests_month = date_trunc('month', now() AT TIME ZONE 'UTC')::date THEN u.monthly_requests ELSE 0 END
    AS requests_this_month,
  u.rate_limit_hits,
  u.opted_out,
  u.opted_out_at,
  u.conversation_turns,
  coalesce(t.tasks, 0) AS tasks,
  coalesce(t.failed, 0) AS tasks_failed,
  coalesce(t.tokens, 0) AS tokens,
  coalesce(t.cost_usd, 0) AS cost_usd,
  t.first_task_at,
  t.last_task_at
FROM users u
LEFT JOIN (
  SELECT
    user_phone,
    count(*)::integer AS tasks,
    count(*) FILTER (WHERE status = 'failed')::integer AS failed,
    sum(tokens_used)::bigint AS tokens,
    round(sum(cost_usd::numeric), 6) AS cost_usd,
    min(created_at) AS first_task_at,
    max(created_at) AS last_task_at
  FROM tasks
  GROUP BY user_phone
) t ON t.user_phone = u.phone;

CREATE VIEW v_failures AS
SELECT
  e.id,
  e.created_at,
  e.task_message_sid,
  md5(e.user_phone) AS user_key,
  left(e.user_phone, 5) || '***' || right(e.user_phone, 4) AS phone_masked,
  e.type AS error_type,
  e.message AS error_message,
  e.step,
  e.attempts,
  e.round,
  e.resolved,
  e.resolved_at,
  e.resolved_at - e.created_at AS time_to_resolve,
  e.retry_requested_at,
  e.retry_requested_by,
  t.category,
  t.model,
  t.status AS task_status
FROM error_logs e
LEFT JOIN tasks t ON t.message_sid = e.task_message_sid;

-- Outbound delivery per day and kind of message.
CREATE VIEW v_delivery AS
SELECT
  (m.created_at AT TIME ZONE 'UTC')::date AS day,
  m.kind,
  count(*)::integer AS sent,
  count(*) FILTER (WHERE m.delivery_status IN ('delivered', 'read'))::integer AS delivered,
  count(*) FILTER (WHERE m.delivery_status IN ('failed', 'undelivered'))::integer AS failed,
  count(*) FILTER (WHERE m.delivery_status IS NULL OR m.delivery_status IN ('accepted', 'scheduled', 'queued', 'sending', 'sent'))::integer
    AS pending,
  round(
    count(*) FILTER (WHERE m.delivery_status IN ('delivered', 'read'))::numeric / nullif(count(*), 0),
    4
  ) AS delivery_rate,
  sum(m.segments)::bigint AS segments
FROM messages m
WHERE m.direction = 'out'
GROUP BY 1, 2;

-- The read-only analyst role: NOLOGIN, so people log in as their own roles that are members of it
-- (CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE analyst). Roles are cluster-wide: several
-- databases (or a concurrent migration) may create it at the same time, hence the handler.
DO $$
BEGIN
  CREATE ROLE analyst NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

-- Views only, by name: a table added later (with phone numbers or message bodies) is never
-- exposed by accident, which ALTER DEFAULT PRIVILEGES ... ON TABLES would do.
DO $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO analyst', current_schema());
END
$$;
GRANT SELECT ON v_tasks, v_daily_stats, v_daily_category_stats, v_user_activity, v_failures, v_delivery TO analyst;

-- Down Migration
DROP VIEW IF EXISTS v_delivery, v_failures, v_user_activity, v_daily_category_stats, v_daily_stats, v_tasks;
