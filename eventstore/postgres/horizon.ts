import type pg from 'pg';
import type { StoreNames } from './schema.js';

/** The transaction that holds the horizon back: the oldest one with a transaction id, anywhere in the cluster. */
export interface HorizonBlocker {
  /** Null for a prepared (two-phase) transaction, which has no backend. */
  pid: number | null;
  user: string | null;
  applicationName: string | null;
  database: string | null;
  /** pg_stat_activity state (`idle in transaction`, `active`, ...), or `prepared`. */
  state: string | null;
  /** Seconds since its transaction started (or was prepared). */
  xactSeconds: number | null;
}

export interface Holdback {
  /** Committed events above the horizon, which subscribers cannot read yet (counted up to 10,000). */
  events: number;
  /** Age of the oldest of them; 0 when there are none. */
  seconds: number;
  /** Known only while events are held back; null as well when our role may not see other sessions. */
  blocker: HorizonBlocker | null;
}

export const HOLDBACK_COUNT_CAP = 10_000;

/**
 * Events held back: committed (so visible to this query) yet at or above the snapshot's xmin, so
 * every subscriber's poll skips them. Measuring these, not merely the oldest open transaction,
 * says what matters: a long transaction with nothing committed behind it delays nobody.
 */
const holdbackSql = (names: StoreNames) => `
  WITH held AS MATERIALIZED (
    SELECT e.recorded_at FROM ${names.events} e
    WHERE e.transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY e.transaction_id, e.position LIMIT ${HOLDBACK_COUNT_CAP}
  )
  SELECT count(*)::int AS events,
    coalesce(extract(epoch FROM clock_timestamp() - min(recorded_at)), 0)::float8 AS seconds
  FROM held`;

/**
 * Only transactions with an id move the snapshot's xmin (a read-only transaction's snapshot
 * does not), so the blocker is the backend, or prepared transaction, with the oldest xid.
 * pg_stat_activity hides other roles' backend_xid unless our role has pg_read_all_stats.
 */
const BLOCKER_SQL = `
  SELECT * FROM (
    SELECT a.pid, a.usename::text AS user, a.application_name, a.datname::text AS database, a.state,
      extract(epoch FROM clock_timestamp() - a.xact_start)::float8 AS xact_seconds, age(a.backend_xid) AS xid_age
    FROM pg_stat_activity a WHERE a.backend_xid IS NOT NULL AND a.pid <> pg_backend_pid()
    UNION ALL
    SELECT NULL, p.owner::text, 'prepared transaction ' || p.gid, p.database::text, 'prepared',
      extract(epoch FROM clock_timestamp() - p.prepared)::float8, age(p.transaction)
    FROM pg_prepared_xacts p
  ) t ORDER BY xid_age DESC LIMIT 1`;

export async function readHoldback(pool: pg.Pool, names: StoreNames): Promise<Holdback> {
  const { rows } = await pool.query<{ events: number; seconds: number }>({
    name: `es:${names.schema}:holdback`,
    text: holdbackSql(names),
  });
  const { events, seconds } = rows[0] ?? { events: 0, seconds: 0 };
  if (events === 0) return { events: 0, seconds: 0, blocker: null };
  const found = await pool.query<{
    pid: number | null;
    user: string | null;
    application_name: string | null;
    database: string | null;
    state: string | null;
    xact_seconds: number | null;
  }>({ name: 'es:horizon-blocker', text: BLOCKER_SQL });
  const b = found.rows[0];
  const blocker = b
    ? {
        pid: b.pid,
        user: b.user,
        applicationName: b.application_name,
        database: b.database,
        state: b.state,
        xactSeconds: b.xact_seconds,
      }
    : null;
  return { events, seconds: Math.max(0, seconds), blocker };
}
