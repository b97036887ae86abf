import type { ExpectedRevision } from '../port.js';
import type { StoreNames } from './schema.js';

/**
 * SQL text of the adapter. Every statement runs as a named prepared statement, so PostgreSQL
 * parses and plans it once per connection.
 */

export type AppendMode = 'any' | 'no_stream' | 'stream_exists' | 'revision';
export const appendMode = (expected: ExpectedRevision): AppendMode =>
  typeof expected === 'bigint' ? 'revision' : expected;

/**
 * How subscribers are woken: `pg_notify` inside the append transaction, or a separate NOTIFY
 * right after it commits (the default; see README: PostgreSQL serialises notifying commits,
 * WAL flush included, which caps concurrent appends at one commit per flush).
 */
export type NotifyMode = 'in-transaction' | 'after-commit';

/**
 * The whole append in one statement (one round trip, one implicit transaction): claim the
 * revisions on the stream's row, insert the events and, in-transaction mode, signal subscribers
 * on commit. It returns one row per event. When the expected-revision check fails, the stream
 * CTE returns no row and nothing is written. Params: $1 stream, $2 count, $3 ids, $4 types, $5 data, $6 metadata, [$7 expected];
 * for a single event (`single`, the common case) $3 to $6 are scalars and no unnest is needed.
 */
export function appendSql(names: StoreNames, mode: AppendMode, notify: NotifyMode, single: boolean): string {
  const claim = {
    any: `INSERT INTO ${names.streams} AS s (stream_name, revision) VALUES ($1, $2::bigint - 1)
          ON CONFLICT (stream_name) DO UPDATE SET revision = s.revision + $2::bigint RETURNING s.revision`,
    no_stream: `INSERT INTO ${names.streams} (stream_name, revision) VALUES ($1, $2::bigint - 1)
          ON CONFLICT (stream_name) DO NOTHING RETURNING revision`,
    stream_exists: `UPDATE ${names.streams} SET revision = revision + $2::bigint WHERE stream_name = $1 RETURNING revision`,
    revision: `UPDATE ${names.streams} SET revision = revision + $2::bigint
          WHERE stream_name = $1 AND revision = $7::bigint RETURNING revision`,
  }[mode];
  const rows = single
    ? 'SELECT $1, stream.revision, $3::uuid, $4::text, $5::jsonb, $6::jsonb FROM stream'
    : `SELECT $1, stream.revision - $2::bigint + e.ord, e.id, e.type, e.data, e.metadata
       FROM stream, unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[]) WITH ORDINALITY AS e(id, type, data, metadata, ord)
       ORDER BY e.ord`;
  const signal = notify === 'in-transaction' ? `, pg_notify('${names.channel}', '') AS notified` : '';
  return `WITH stream AS (${claim})
    INSERT INTO ${names.events} (stream_name, stream_revision, event_id, event_type, data, metadata)
    ${rows}
    RETURNING stream_revision::text AS revision, transaction_id::text AS transaction_id, position::text AS position${signal}`;
}

export const notifySql = (names: StoreNames) => `SELECT pg_notify('${names.channel}', '')`;

export const currentRevisionSql = (names: StoreNames) =>
  `SELECT revision::text AS revision FROM ${names.streams} WHERE stream_name = $1`;

export const existingIdsSql = (names: StoreNames) =>
  `SELECT event_id::text AS id, stream_name, stream_revision::text AS revision
   FROM ${names.events} WHERE event_id = ANY($1::uuid[])`;

const COLUMNS = `e.position::text AS position, e.transaction_id::text AS transaction_id, e.stream_name,
  e.stream_revision::text AS stream_revision, e.event_id::text AS event_id, e.event_type, e.data, e.metadata,
  date_part('epoch', e.recorded_at) * 1000 AS recorded_ms`;

/** Params: $1 stream, $2 from revision, $3 max count (null: all). */
export const readStreamSql = (names: StoreNames, direction: 'forwards' | 'backwards') =>
  direction === 'forwards'
    ? `SELECT ${COLUMNS} FROM ${names.events} e WHERE e.stream_name = $1 AND e.stream_revision >= $2::bigint
       ORDER BY e.stream_revision LIMIT $3::bigint`
    : `SELECT ${COLUMNS} FROM ${names.events} e WHERE e.stream_name = $1 AND e.stream_revision <= $2::bigint
       ORDER BY e.stream_revision DESC LIMIT $3::bigint`;

export interface FilterShape {
  prefixes: boolean;
  types: boolean;
}

/** The visibility horizon: every transaction below it has committed or aborted. */
const HORIZON = 'SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin';

/** Params after $1 tx, $2 position, $3 limit: [prefix patterns], [types]. */
function filterSql(shape: FilterShape): string {
  let n = 4;
  let sql = '';
  if (shape.prefixes) sql += ` AND e.stream_name LIKE ANY($${n++}::text[])`;
  if (shape.types) sql += ` AND e.event_type = ANY($${n++}::text[])`;
  return sql;
}

/**
 * Events of the global log after (forwards) or before (backwards) a checkpoint, in
 * (transaction_id, position) order, only from transactions below the horizon: those can no
 * longer be joined by an earlier-ordered event, so a cursor over them never skips one.
 * Params: $1 transaction id, $2 position, $3 limit (null: all), then filters.
 */
export function readAllSql(names: StoreNames, direction: 'forwards' | 'backwards', shape: FilterShape): string {
  const [cmp, order] = direction === 'forwards' ? ['>', 'ASC'] : ['<', 'DESC'];
  return `SELECT ${COLUMNS} FROM ${names.events} e
    WHERE (e.transaction_id, e.position) ${cmp} ($1::xid8, $2::bigint)
      AND e.transaction_id < (${HORIZON})${filterSql(shape)}
    ORDER BY e.transaction_id ${order}, e.position ${order} LIMIT $3::bigint`;
}

const HELD_BACK = (names: StoreNames, xmin: string) =>
  `coalesce((SELECT t.transaction_id FROM ${names.events} t ORDER BY t.transaction_id DESC LIMIT 1) >= ${xmin}, false)`;

/**
 * One unfiltered subscription poll: the next `$3` events below the horizon in log order, each
 * row also saying (computed once, from the same snapshot) whether committed events wait above
 * the horizon. Returns no row when there is nothing new; then `heldBackSql` answers that.
 */
export function pollAllSql(names: StoreNames): string {
  return `WITH h AS MATERIALIZED (${HORIZON})
    SELECT ${COLUMNS}, (SELECT ${HELD_BACK(names, 'h.xmin')} FROM h) AS held_back FROM ${names.events} e
    WHERE (e.transaction_id, e.position) > ($1::xid8, $2::bigint) AND e.transaction_id < (SELECT xmin FROM h)
    ORDER BY e.transaction_id, e.position LIMIT $3::bigint`;
}

export const heldBackSql = (names: StoreNames) => `SELECT ${HELD_BACK(names, `(${HORIZON})`)} AS held_back`;

/**
 * One filtered subscription poll. It scans the next `$3` events below the horizon in log order (an
 * index range scan whatever the filter, so a narrow filter never turns into a table scan) and
 * returns those the filter matches, plus, from the same snapshot, where the scan ended, how many
 * rows it covered, and whether committed events wait above the horizon (then poll again soon).
 * Always returns at least one row; the event columns are null when nothing matched.
 * Params: $1 transaction id, $2 position, $3 scan window, then filters.
 */
export function pollSql(names: StoreNames, shape: FilterShape): string {
  // MATERIALIZED: each CTE runs once, not once per output row.
  return `WITH h AS MATERIALIZED (${HORIZON}),
    scanned AS MATERIALIZED (
      SELECT e.* FROM ${names.events} e
      WHERE (e.transaction_id, e.position) > ($1::xid8, $2::bigint) AND e.transaction_id < (SELECT xmin FROM h)
      ORDER BY e.transaction_id, e.position LIMIT $3::bigint
    ),
    meta AS MATERIALIZED (
      SELECT
        (SELECT s.transaction_id::text || ':' || s.position::text FROM scanned s
          ORDER BY s.transaction_id DESC, s.position DESC LIMIT 1) AS scanned_to,
        (SELECT count(*)::int FROM scanned) AS scanned,
        ${HELD_BACK(names, '(SELECT xmin FROM h)')} AS held_back
    )
    SELECT meta.scanned_to, meta.scanned, meta.held_back, batch.* FROM meta LEFT JOIN (
      SELECT ${COLUMNS}, e.transaction_id AS sort_tx, e.position AS sort_position FROM scanned e
      WHERE true${filterSql(shape)}
    ) batch ON true
    ORDER BY batch.sort_tx, batch.sort_position`;
}

export const headSql = (names: StoreNames) =>
  `SELECT e.transaction_id::text AS transaction_id, e.position::text AS position FROM ${names.events} e
   WHERE e.transaction_id < (${HORIZON}) ORDER BY e.transaction_id DESC, e.position DESC LIMIT 1`;
