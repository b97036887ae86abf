-- Up Migration
-- Broadcasts get a read model of their own (projections/broadcasts): the messages projection's
-- `broadcasts` table of the first schema (body, sent, skipped) is replaced. Nothing ever sent a
-- broadcast before, so no rows are lost; a rebuild fills both tables from the log.
DROP TABLE IF EXISTS broadcasts;

-- broadcasts: one row per broadcast, its progress counted from broadcast_recipients.
CREATE TABLE broadcasts (
  id text PRIMARY KEY,
  text text NOT NULL,
  -- {"kind":"tier","tier":"free"} or {"kind":"phones","count":3}
  audience jsonb NOT NULL,
  started_by text NOT NULL,
  started_at timestamptz NOT NULL,
  -- sending | completed | cancelled
  state text NOT NULL,
  total integer NOT NULL,
  sent integer NOT NULL DEFAULT 0,
  skipped integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  encoding text NOT NULL,
  segments_per_message integer NOT NULL,
  completed_at timestamptz,
  cancelled_at timestamptz,
  cancelled_by text,
  cancel_reason text,
  -- Revision of the last event of stream broadcast-<id> applied (replays skip older ones).
  revision bigint NOT NULL
);
CREATE INDEX broadcasts_started_at_idx ON broadcasts (started_at DESC, id DESC);

-- broadcast_recipients: one row per person of a broadcast's audience, in the audience's order.
CREATE TABLE broadcast_recipients (
  broadcast_id text NOT NULL,
  seq integer NOT NULL,
  phone text NOT NULL,
  -- pending | sent | skipped | failed
  status text NOT NULL,
  -- skipped: opted_out | unreplyable; detail: keyword | carrier | country_not_allowed | ...
  reason text,
  detail text,
  -- failed: the provider's answer, phone numbers masked.
  error text,
  provider_message_sid text,
  segments integer,
  updated_at timestamptz,
  PRIMARY KEY (broadcast_id, seq)
);
CREATE INDEX broadcast_recipients_status_idx ON broadcast_recipients (broadcast_id, status, seq);

-- Down Migration
DROP TABLE broadcast_recipients;
DROP TABLE broadcasts;
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
