-- Up Migration
-- audit_log: one row per event appended through the admin API, i.e. every event whose metadata
-- names an actor. The log is the audit trail; this table only indexes it for GET /api/audit.
-- Keyed by the event id, so a replay or a rebuild writes the same rows. Not granted to analysts:
-- targets name people's phone numbers.
CREATE TABLE audit_log (
  id uuid PRIMARY KEY,
  -- metadata.occurredAt of the event (when the API took the action).
  occurred_at timestamptz NOT NULL,
  actor_name text NOT NULL,
  actor_role text NOT NULL,
  actor_kind text NOT NULL,
  -- The event type (TierChanged, TaskRetrySignalled, ...).
  action text NOT NULL,
  -- The stream the event was appended to (user-<phone>, sms-<MessageSid>, projection-<name>, ...).
  target text NOT NULL,
  reason text,
  -- The event's data, for the details of the action.
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_occurred_at_idx ON audit_log (occurred_at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_name, occurred_at DESC, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, occurred_at DESC, id DESC);

-- Down Migration
DROP TABLE audit_log;
