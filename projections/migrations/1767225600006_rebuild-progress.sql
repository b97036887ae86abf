-- Up Migration
-- projection_rebuilds: one row per projection per rebuild, updated by the rebuild as it replays
-- (every page of events), so GET /api/projections shows progress from any API replica. The
-- rebuild copies this table into its fresh schema at the swap, so the history survives it.
CREATE TABLE projection_rebuilds (
  rebuild_id uuid NOT NULL,
  projection text NOT NULL,
  -- rebuilding | succeeded | failed
  state text NOT NULL,
  events_replayed bigint NOT NULL DEFAULT 0,
  -- Estimated at the start: the live projection's events processed plus its lag.
  events_total bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL,
  started_by text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  error text,
  PRIMARY KEY (rebuild_id, projection)
);
CREATE INDEX projection_rebuilds_latest_idx ON projection_rebuilds (projection, started_at DESC);

-- Down Migration
DROP TABLE projection_rebuilds;
