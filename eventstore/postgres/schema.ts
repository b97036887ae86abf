import type pg from 'pg';

/** Quoted, schema-qualified names of the store's objects; the schema name is checked once here. */
export interface StoreNames {
  schema: string;
  events: string;
  streams: string;
  snapshots: string;
  /** LISTEN/NOTIFY channel that append transactions signal on commit. */
  channel: string;
}

export function storeNames(schema: string): StoreNames {
  // Only plain identifiers: they end up in SQL text and in a channel name.
  if (!/^[a-z_][a-z0-9_]{0,47}$/.test(schema)) throw new TypeError(`Invalid event store schema name: ${schema}`);
  return {
    schema,
    events: `"${schema}".events`,
    streams: `"${schema}".streams`,
    snapshots: `"${schema}".snapshots`,
    channel: `${schema}_eventstore`,
  };
}

/**
 * Creates the event store's tables if they are missing. Idempotent, and safe to run from
 * several processes at once: an advisory lock serialises concurrent runs, because concurrent
 * `CREATE ... IF NOT EXISTS` statements can still fail on the catalogue's unique indexes.
 */
export async function migrate(pool: pg.Pool, names: StoreNames): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('sms-agent:eventstore:migrate'))");
    await client.query(`
      CREATE SCHEMA IF NOT EXISTS "${names.schema}";
      CREATE TABLE IF NOT EXISTS ${names.events} (
        position        bigserial   NOT NULL,
        transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
        stream_name     text        NOT NULL,
        stream_revision bigint      NOT NULL,
        event_id        uuid        NOT NULL,
        event_type      text        NOT NULL,
        data            jsonb       NOT NULL,
        metadata        jsonb       NOT NULL,
        recorded_at     timestamptz NOT NULL DEFAULT now(),
        -- The log's order and the subscription cursor: (transaction_id, position), see README.
        -- Nothing looks events up by position alone, so this one index serves as the key.
        CONSTRAINT events_pkey PRIMARY KEY (transaction_id, position),
        CONSTRAINT events_event_id_key UNIQUE (event_id),
        CONSTRAINT events_stream_revision_key UNIQUE (stream_name, stream_revision)
      );
      -- One row per stream: the expected-revision check locks this row instead of scanning events.
      CREATE TABLE IF NOT EXISTS ${names.streams} (
        stream_name text   PRIMARY KEY,
        revision    bigint NOT NULL
      );
      -- Folds of long streams (port.ts StreamSnapshot), one per stream and fold version; only a
      -- cache, so no foreign key: the events are the truth and a reader checks event_id against them.
      CREATE TABLE IF NOT EXISTS ${names.snapshots} (
        stream_name text        NOT NULL,
        version     text        NOT NULL,
        revision    bigint      NOT NULL,
        event_id    uuid        NOT NULL,
        state       text        NOT NULL,
        taken_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (stream_name, version)
      );
    `);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
