import { type Queryable, qualified } from '../shared/sql.js';

export type RebuildState = 'rebuilding' | 'succeeded' | 'failed';

export interface RebuildProgressRow {
  rebuildId: string;
  projection: string;
  state: RebuildState;
  eventsReplayed: number;
  eventsTotal: number;
  startedAt: string;
  startedBy: string | null;
  updatedAt: string;
  finishedAt: string | null;
  error: string | null;
}

/**
 * The rebuild's progress rows (table projection_rebuilds of the live schema). Written by the
 * rebuild, read by GET /api/projections, so every API replica sees the same progress.
 */
export function rebuildProgress(db: Queryable, schema: string, rebuildId: string) {
  const table = qualified(schema, 'projection_rebuilds');
  return {
    async start(projection: string, options: { eventsTotal: number; startedBy: string | null; startedAt: Date }) {
      await db.query(
        `INSERT INTO ${table} (rebuild_id, projection, state, events_total, started_at, started_by)
         VALUES ($1, $2, 'rebuilding', $3, $4, $5)`,
        [rebuildId, projection, options.eventsTotal, options.startedAt, options.startedBy],
      );
    },
    async replayed(projection: string, events: number) {
      await db.query(
        `UPDATE ${table} SET events_replayed = $3, updated_at = now() WHERE rebuild_id = $1 AND projection = $2`,
        [rebuildId, projection, events],
      );
    },
    /** Ends every row of this rebuild still running; `events` per projection when it succeeded. */
    async finish(outcome: { events: Record<string, number> } | { error: string }) {
      if ('error' in outcome) {
        await db.query(
          `UPDATE ${table} SET state = 'failed', error = $2, finished_at = now(), updated_at = now()
           WHERE rebuild_id = $1 AND state = 'rebuilding'`,
          [rebuildId, outcome.error.slice(0, 1000)],
        );
        return;
      }
      await db.query(
        `UPDATE ${table} r SET state = 'succeeded', finished_at = now(), updated_at = now(),
           events_replayed = coalesce((($2::jsonb) ->> r.projection)::bigint, r.events_replayed)
         WHERE rebuild_id = $1 AND state = 'rebuilding'`,
        [rebuildId, JSON.stringify(outcome.events)],
      );
    },
  };
}

/** Per projection: its latest rebuild, and its latest finished one (they differ while one runs). */
export async function readRebuildProgress(
  db: Queryable,
  schema: string,
): Promise<Map<string, { latest: RebuildProgressRow; lastFinished: RebuildProgressRow | null }>> {
  const table = qualified(schema, 'projection_rebuilds');
  const { rows } = await db.query<Record<string, unknown>>(
    `(SELECT DISTINCT ON (projection) *, false AS finished_only FROM ${table} ORDER BY projection, started_at DESC)
     UNION ALL
     (SELECT DISTINCT ON (projection) *, true FROM ${table} WHERE finished_at IS NOT NULL
      ORDER BY projection, started_at DESC)`,
  );
  const result = new Map<string, { latest: RebuildProgressRow; lastFinished: RebuildProgressRow | null }>();
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);
  for (const r of rows) {
    const row: RebuildProgressRow = {
      rebuildId: String(r.rebuild_id),
      projection: String(r.projection),
      state: r.state as RebuildState,
      eventsReplayed: Number(r.events_replayed),
      eventsTotal: Number(r.events_total),
      startedAt: iso(r.started_at) as string,
      startedBy: (r.started_by as string | null) ?? null,
      updatedAt: iso(r.updated_at) as string,
      finishedAt: iso(r.finished_at),
      error: (r.error as string | null) ?? null,
    };
    const entry = result.get(row.projection);
    if (!r.finished_only) result.set(row.projection, { latest: row, lastFinished: entry?.lastFinished ?? null });
    else if (entry) entry.lastFinished = row;
    else result.set(row.projection, { latest: row, lastFinished: row });
  }
  return result;
}

/**
 * True while some session holds this advisory lock (AdvisoryLock's bigint key, split by pg_locks
 * into two unsigned halves). A rebuild holds its lock until its rows are finished, so a row still
 * "rebuilding" with no holder belongs to a process that stopped mid-way.
 */
export async function advisoryLockHeld(db: Queryable, key: string): Promise<boolean> {
  const { rows } = await db.query<{ held: boolean }>(
    `WITH k AS (SELECT hashtextextended($1, 0) AS key)
     SELECT EXISTS (
       SELECT 1 FROM pg_locks l, k
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = ((k.key >> 32) & 4294967295)::text::oid
          AND l.objid = (k.key & 4294967295)::text::oid) AS held`,
    [key],
  );
  return rows[0]?.held === true;
}
