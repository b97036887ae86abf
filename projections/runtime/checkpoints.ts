import { type Queryable, qualified } from '../shared/sql.js';

export interface CheckpointRow {
  name: string;
  checkpoint: string | null;
  eventsProcessed: number;
  batches: number;
  lastEventAt: string | null;
  updatedAt: string;
}

/** Creates the projection's checkpoint row (null: start of the log) unless it exists. */
export async function ensureCheckpointRow(db: Queryable, schema: string, name: string): Promise<void> {
  await db.query(
    `INSERT INTO ${qualified(schema, 'projection_checkpoints')} (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`,
    [name],
  );
}

export async function readCheckpoint(db: Queryable, schema: string, name: string): Promise<string | null> {
  const result = await db.query<{ checkpoint: string | null }>(
    `SELECT checkpoint FROM ${qualified(schema, 'projection_checkpoints')} WHERE name = $1`,
    [name],
  );
  return result.rows[0]?.checkpoint ?? null;
}

export async function readCheckpoints(db: Queryable, schema: string): Promise<CheckpointRow[]> {
  const result = await db.query<{
    name: string;
    checkpoint: string | null;
    events_processed: string | number;
    batches: string | number;
    last_event_at: Date | null;
    updated_at: Date;
  }>(`SELECT * FROM ${qualified(schema, 'projection_checkpoints')} ORDER BY name`);
  return result.rows.map((r) => ({
    name: r.name,
    checkpoint: r.checkpoint,
    eventsProcessed: Number(r.events_processed),
    batches: Number(r.batches),
    lastEventAt: r.last_event_at?.toISOString() ?? null,
    updatedAt: r.updated_at.toISOString(),
  }));
}
