import pg from 'pg';
import type { Queryable } from '../../projections/shared/sql.js';

/**
 * The inbox starter's checkpoint: a table of its own in the app database (schema public), not
 * in read_models, whose schema a read-model rebuild swaps out.
 */
const TABLE = 'public.inbox_checkpoints';

/**
 * Creates the checkpoint table if missing; idempotent and safe to run concurrently (`sms-agent migrate`).
 * `startAt` (name -> checkpoint) creates missing rows there: `sms-agent migrate` passes the log's
 * head, so on a database from before the inbox, whose SMS the webhook started itself, the starter
 * begins with the SMS after it instead of starting every SMS ever received again. Rows already
 * there are left alone.
 */
export async function migrateInbox(databaseUrl: string, startAt: Record<string, string> = {}): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'sms-agent migrate inbox' });
  await client.connect();
  try {
    await client.query('BEGIN');
    // Concurrent CREATE ... IF NOT EXISTS can still collide on the catalogue; serialise them.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('sms-agent:inbox:migrate'))");
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${TABLE} (
        name       text        PRIMARY KEY,
        -- Position of the last event whose workflow was started; NULL: start of the log.
        checkpoint text,
        -- Start calls Temporal accepted (new runs, or attached to a running one), all processes.
        started    bigint      NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    for (const [name, checkpoint] of Object.entries(startAt)) {
      await client.query(`INSERT INTO ${TABLE} (name, checkpoint) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
        name,
        checkpoint,
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

export interface InboxCheckpoint {
  checkpoint: string | null;
  started: number;
  updatedAt: Date;
}

/** The row is created (at the start of the log) when missing. */
export async function readInboxCheckpoint(db: Queryable, name: string): Promise<InboxCheckpoint> {
  await db.query(`INSERT INTO ${TABLE} (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [name]);
  return (await peekInboxCheckpoint(db, name)) ?? { checkpoint: null, started: 0, updatedAt: new Date() };
}

/** Reads without creating (for metrics); undefined when no starter ever ran. */
export async function peekInboxCheckpoint(db: Queryable, name: string): Promise<InboxCheckpoint | undefined> {
  const { rows } = await db.query<{ checkpoint: string | null; started: string | number; updated_at: Date }>(
    `SELECT checkpoint, started, updated_at FROM ${TABLE} WHERE name = $1`,
    [name],
  );
  const row = rows[0];
  return row && { checkpoint: row.checkpoint, started: Number(row.started), updatedAt: row.updated_at };
}

/**
 * Moves the checkpoint from `expected` to `next`. Throws InboxCheckpointMovedError when the
 * stored one is not `expected` (another instance wrote it after losing this one's lock).
 *
 * Committed without waiting for the WAL flush: a checkpoint lost in a PostgreSQL crash only makes
 * the starter start those workflows again, which Temporal's id policies turn into no-ops. At 200
 * SMS/s the starter saves about that often, and synchronous saves queued each webhook's own commit
 * (the SMS's durable record) behind their flushes. One statement, one round trip: `set_config(...,
 * true)` is SET LOCAL for the statement's own transaction, whose commit then does not wait (the
 * BEGIN, SET LOCAL, UPDATE, COMMIT it replaces were four writes to the socket, each of which costs
 * the API more CPU than the statement itself).
 */
export async function saveInboxCheckpoint(
  db: Queryable,
  name: string,
  expected: string | null,
  next: string,
  started: number,
): Promise<void> {
  const result = await db.query({
    name: 'inbox:save-checkpoint',
    text: `WITH async AS (SELECT set_config('synchronous_commit', 'off', true))
      UPDATE ${TABLE} SET checkpoint = $2, started = started + $3, updated_at = now()
      FROM async WHERE name = $1 AND checkpoint IS NOT DISTINCT FROM $4
      RETURNING current_setting('synchronous_commit') AS commit_mode`,
    values: [name, next, started, expected],
  });
  if (result.rowCount !== 1) throw new InboxCheckpointMovedError(name, expected);
}

export class InboxCheckpointMovedError extends Error {
  constructor(
    readonly inbox: string,
    readonly expected: string | null,
  ) {
    super(`Checkpoint of inbox ${inbox} is no longer ${expected ?? 'the start'}; another instance moved it`);
    this.name = 'InboxCheckpointMovedError';
  }
}
