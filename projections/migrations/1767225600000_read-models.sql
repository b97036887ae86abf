-- Up Migration
-- Read models, built only by the projector from the event log (never written by the API).
-- node-pg-migrate runs this with search_path set to the target schema, so names stay unqualified:
-- the same file builds the live schema and a rebuild's fresh `rm_<timestamp>` schema.
-- Timestamps come from the events (never now()), so a rebuild reproduces every row exactly.

CREATE TABLE projection_checkpoints (
  name text PRIMARY KEY,
  checkpoint text,
  events_processed bigint NOT NULL DEFAULT 0,
  batches bigint NOT NULL DEFAULT 0,
  last_event_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- users: one row per person, from stream user-<E.164>.
CREATE TABLE users (
  phone text PRIMARY KEY,
  tier text NOT NULL,
  email text,
  full_name text,
  preferences jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz,
  last_active_at timestamptz,
  total_requests integer NOT NULL DEFAULT 0,
  -- Requests counted in requests_month (first day of the month, UTC).
  monthly_requests integer NOT NULL DEFAULT 0,
  requests_month date,
  rate_limit_hits integer NOT NULL DEFAULT 0,
  last_rate_limited_at timestamptz,
  opted_out boolean NOT NULL DEFAULT false,
  opted_out_at timestamptz,
  opted_out_source text,
  opted_in_at timestamptz,
  conversation_turns integer NOT NULL DEFAULT 0,
  conversation_reset_at timestamptz,
  tier_changed_at timestamptz,
  updated_at timestamptz NOT NULL,
  -- Last applied revision of the user's stream: replayed events at or below it are skipped.
  revision bigint NOT NULL
);
-- Few indexes on purpose: every index is written on each update, and the projector updates a
-- row per step of every task. These serve the API's lists; analysts' scans do not need more.
CREATE INDEX users_created_at_idx ON users (created_at DESC, phone DESC);

-- tasks: one row per inbound SMS (stream sms-<MessageSid>); the seed design's columns plus status,
-- model, tokens, cost, segments and delivery.
CREATE TABLE tasks (
  -- Derived from message_sid (UUIDv5), so unique without an index of its own to maintain.
  id uuid NOT NULL,
  message_sid text PRIMARY KEY,
  user_phone text,
  sms_content text,
  ai_response text,
  category text,
  priority text,
  complexity_score double precision,
  classifier text,
  keyword text,
  status text NOT NULL,
  outcome text,
  success boolean,
  model text,
  fallback_used boolean,
  prompt_tokens integer,
  completion_tokens integer,
  tokens_used integer,
  cost_usd double precision,
  ai_latency_ms integer,
  processing_time integer,
  reply_kind text,
  reply_count integer NOT NULL DEFAULT 0,
  segments integer NOT NULL DEFAULT 0,
  provider_message_sid text,
  delivery_status text,
  delivery_error_code text,
  delivery_updated_at timestamptz,
  error_type text,
  error_message text,
  failed_step text,
  attempts integer NOT NULL DEFAULT 0,
  rounds integer NOT NULL DEFAULT 1,
  failures integer NOT NULL DEFAULT 0,
  rate_limit_window text,
  rate_limit_retry_at timestamptz,
  created_at timestamptz,
  completed_at timestamptz,
  failed_at timestamptz,
  updated_at timestamptz NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  revision bigint NOT NULL
);
CREATE INDEX tasks_created_at_idx ON tasks (created_at DESC, message_sid DESC);
CREATE INDEX tasks_user_phone_created_at_idx ON tasks (user_phone, created_at DESC, message_sid DESC);
-- Ops look for tasks that are not done (failed ones above all); completed tasks stay out of it.
CREATE INDEX tasks_unsettled_idx ON tasks (status, created_at DESC, message_sid DESC) WHERE status <> 'completed';

-- messages: every SMS in and out, per person (conversation threads).
CREATE TABLE messages (
  -- Inbound: Twilio's MessageSid; outbound: the provider's sid of the sent message.
  id text PRIMARY KEY,
  phone text,
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  body text,
  -- 'sms' inbound; answer|continuation|keyword|rate_limit|error|broadcast outbound.
  kind text,
  task_message_sid text,
  broadcast_id text,
  segments integer,
  encoding text,
  provider text,
  created_at timestamptz,
  delivery_status text,
  delivery_error_code text,
  delivery_updated_at timestamptz,
  delivered_at timestamptz
);
CREATE INDEX messages_phone_created_at_idx ON messages (phone, created_at DESC, id DESC);
CREATE INDEX messages_task_message_sid_idx ON messages (task_message_sid);

-- broadcasts: an admin's message to many people (owned by the messages projection, which
-- needs each broadcast's body for the conversation rows).
CREATE TABLE broadcasts (
  id text PRIMARY KEY,
  body text NOT NULL,
  audience text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  sent integer NOT NULL DEFAULT 0,
  skipped integer,
  completed_at timestamptz,
  revision bigint NOT NULL
);
CREATE INDEX broadcasts_created_at_idx ON broadcasts (created_at DESC);

-- error_logs: one row per permanent task failure (TaskFailed); a later TaskCompleted resolves it.
CREATE TABLE error_logs (
  -- The TaskFailed event's id (deterministic), so a replay finds the same row.
  id uuid PRIMARY KEY,
  type text NOT NULL,
  message text NOT NULL,
  task_message_sid text NOT NULL,
  user_phone text,
  step text NOT NULL,
  attempts integer NOT NULL,
  round integer NOT NULL,
  stream_revision bigint NOT NULL,
  created_at timestamptz NOT NULL,
  resolved boolean NOT NULL DEFAULT false,
  resolved_at timestamptz,
  retry_requested_at timestamptz,
  retry_requested_by text
);
CREATE INDEX error_logs_unresolved_idx ON error_logs (created_at DESC, id DESC) WHERE NOT resolved;
CREATE INDEX error_logs_created_at_idx ON error_logs (created_at DESC, id DESC);
CREATE INDEX error_logs_task_message_sid_idx ON error_logs (task_message_sid);
-- Side table of the error_logs projection: the sender of each task (TaskFailed does not carry it).
CREATE TABLE error_log_task_phones (
  message_sid text PRIMARY KEY,
  user_phone text NOT NULL
);

-- daily_stats: per UTC day, category and tier. Percentiles cannot be updated incrementally, so
-- the projection keeps one fact row per task (daily_stats_tasks) and recomputes the touched days'
-- rows from those facts in the same transaction. Recomputing is idempotent by construction, so
-- replays and rebuilds give the same figures; a day holds a few thousand facts at most.
CREATE TABLE daily_stats_tasks (
  message_sid text PRIMARY KEY,
  user_phone text NOT NULL,
  day date NOT NULL,
  category text,
  keyword text,
  -- The sender's tier when the SMS arrived; null until the user's stream names one.
  tier text,
  status text NOT NULL,
  outcome text,
  rate_limited boolean NOT NULL DEFAULT false,
  processing_ms integer,
  tokens integer NOT NULL DEFAULT 0,
  cost_usd double precision NOT NULL DEFAULT 0,
  revision bigint NOT NULL
);
CREATE INDEX daily_stats_tasks_day_idx ON daily_stats_tasks (day);
CREATE INDEX daily_stats_tasks_untiered_idx ON daily_stats_tasks (user_phone) WHERE tier IS NULL;
CREATE TABLE daily_stats_tiers (
  phone text PRIMARY KEY,
  tier text NOT NULL,
  revision bigint NOT NULL
);
CREATE TABLE daily_stats (
  day date NOT NULL,
  -- coding|debug|design|documentation|analysis|general, 'keyword' for STOP/HELP/..., 'unclassified'.
  category text NOT NULL,
  -- free|premium, 'unknown' while the user's tier is not known.
  tier text NOT NULL,
  received integer NOT NULL,
  completed integer NOT NULL,
  answered integer NOT NULL,
  failed integer NOT NULL,
  rate_limited integer NOT NULL,
  in_progress integer NOT NULL,
  -- completed / (completed + failed); null when neither happened yet.
  success_rate numeric(6, 4),
  p50_processing_ms numeric(12, 1),
  p95_processing_ms numeric(12, 1),
  avg_processing_ms numeric(12, 1),
  tokens bigint NOT NULL,
  cost_usd numeric(14, 6) NOT NULL,
  PRIMARY KEY (day, category, tier)
);

-- Down Migration
DROP TABLE IF EXISTS daily_stats, daily_stats_tiers, daily_stats_tasks, error_log_task_phones, error_logs,
  broadcasts, messages, tasks, users, projection_checkpoints;
