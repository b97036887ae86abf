-- Up Migration
-- Analysts could recover phone numbers from the views of 1767225600001: user_key was md5(phone)
-- (hash a list of candidate numbers and compare), phone_masked hid 3 digits, error messages
-- carried numbers verbatim. This replaces the three views that show people (same columns, so
-- CREATE OR REPLACE keeps their grants):
--   user_key      HMAC-SHA256 of the number under a per-installation secret, 24 hex characters;
--   phone_masked  first digit and last two only, +1*******23 (maskPhone in domain/phone.ts);
--   error_message numbers inside masked the same way (maskPhonesIn).

-- The secret lives in its own schema, outside the read-model schema: a rebuild migrates a fresh
-- `rm_<stamp>` schema and swaps it in, and user_key must not change when it does. Every
-- read-model schema of the database shares it. The analyst role gets no USAGE on this schema;
-- the views read the table with their owner's rights.
CREATE SCHEMA IF NOT EXISTS read_model_secrets;
REVOKE ALL ON SCHEMA read_model_secrets FROM PUBLIC;
-- pgcrypto goes there too, never into a read-model schema: dropping a replaced schema would drop
-- the extension and every view that uses it. If it is installed already, wherever it is, it is used.
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA read_model_secrets;
SELECT set_config(
  'search_path',
  format('%I, %s', current_schema(), (SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'pgcrypto')),
  true
);

CREATE TABLE IF NOT EXISTS read_model_secrets.user_key_secret (
  -- One row: the boolean key with its check admits a single value.
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  key bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON read_model_secrets.user_key_secret FROM PUBLIC;
-- Generated once per database; later migrations (a rebuild's fresh schema) keep it.
INSERT INTO read_model_secrets.user_key_secret (key) VALUES (gen_random_bytes(32)) ON CONFLICT (id) DO NOTHING;

-- The masking rules of domain/phone.ts, in SQL (test/projections/analyst-privacy.int.test.ts
-- checks that both give the same text). They live in the read-model schema and move with it.
CREATE FUNCTION mask_phone(phone text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE
  WHEN length(regexp_replace(phone, '\D', '', 'g')) < 8 THEN regexp_replace(phone, '\d(?=\d{2})', '*', 'g')
  ELSE '+' || left(regexp_replace(phone, '\D', '', 'g'), 1) || '*******' || right(regexp_replace(phone, '\D', '', 'g'), 2)
END;

-- PHONE_IN_TEXT_PATTERN of domain/phone.ts, character for character.
CREATE FUNCTION mask_phones_in(text text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(
  text,
  '(?:\+|%2B|(?<=(?:whatsapp|tel|sms|rcs):))([1-9])(?:[ .()-]{0,2}\d){5,12}[ .()-]{0,2}(\d)[ .()-]{0,2}(\d)(?!\d)',
  '+\1*******\2\3',
  'gi'
);

CREATE OR REPLACE VIEW v_tasks AS
SELECT
  t.message_sid,
  t.created_at,
  (t.created_at AT TIME ZONE 'UTC')::date AS day,
  left(encode(hmac(convert_to(t.user_phone, 'UTF8'), (SELECT key FROM read_model_secrets.user_key_secret), 'sha256'), 'hex'), 24)
    AS user_key,
  mask_phone(t.user_phone) AS phone_masked,
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

CREATE OR REPLACE VIEW v_user_activity AS
SELECT
  left(encode(hmac(convert_to(u.phone, 'UTF8'), (SELECT key FROM read_model_secrets.user_key_secret), 'sha256'), 'hex'), 24)
    AS user_key,
  mask_phone(u.phone) AS phone_masked,
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

CREATE OR REPLACE VIEW v_failures AS
SELECT
  e.id,
  e.created_at,
  e.task_message_sid,
  left(encode(hmac(convert_to(e.user_phone, 'UTF8'), (SELECT key FROM read_model_secrets.user_key_secret), 'sha256'), 'hex'), 24)
    AS user_key,
  mask_phone(e.user_phone) AS phone_masked,
  e.type AS error_type,
  mask_phones_in(e.message) AS error_message,
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

-- Error text recorded before the handlers masked it: masked in place, as a rebuild would write it.
UPDATE error_logs SET message = mask_phones_in(message) WHERE message <> mask_phones_in(message);
UPDATE tasks SET error_message = mask_phones_in(error_message) WHERE error_message <> mask_phones_in(error_message);

-- Down Migration
-- The previous views again. The secret, its schema and pgcrypto stay: other read-model schemas of
-- this database (a rebuild's, a replaced one) may still use them, and nothing else reads them.
CREATE OR REPLACE VIEW v_tasks AS
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

CREATE OR REPLACE VIEW v_user_activity AS
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

CREATE OR REPLACE VIEW v_failures AS
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

DROP FUNCTION IF EXISTS mask_phones_in(text), mask_phone(text);
