import type pg from 'pg';
import { ident, literal, qualified } from '../shared/sql.js';
import { pipelined, projectionTx } from './projection-tx.js';
import type { ProjectionEvent, ReadModel } from './types.js';

/**
 * The checkpoint in the database is not the one this projector last wrote: another instance
 * moved it, or a rebuild swapped in a fresh schema. The batch is rolled back; the projector
 * resumes from the stored checkpoint.
 */
export class CheckpointMovedError extends Error {
  constructor(
    readonly projection: string,
    readonly expected: string | null,
    readonly actual: string | null,
  ) {
    super(
      `Checkpoint of projection ${projection} moved (expected ${expected ?? 'start'}, found ${actual ?? 'start or unknown'})`,
    );
    this.name = 'CheckpointMovedError';
  }
}

export interface BatchHooks {
  /** Runs after the batch's writes and checkpoint update, before COMMIT (tests inject crashes here). */
  afterApply?(events: readonly ProjectionEvent[]): void | Promise<void>;
}

export interface BatchOptions {
  schema: string;
  model: ReadModel;
  events: readonly ProjectionEvent[];
  expected: string | null;
  /** Announce the batch's changes (pg_notify); default true, false for a rebuild's replay. */
  announce?: boolean;
}

/** SQLSTATE the checkpoint advance raises when the stored checkpoint is not the expected one. */
const CHECKPOINT_MOVED = 'RM409';

/**
 * Moves the checkpoint, but only from `expected`: the fence that keeps a batch from applying twice
 * (another instance, or a rebuild that swapped the schema). It takes the row lock and the
 * transaction id in the batch's last round trip, because an open transaction with an id holds
 * back the event store's visibility horizon for every subscriber.
 */
function advanceSql(model: ReadModel, expected: string | null, last: ProjectionEvent, count: number): string {
  const name = literal(model.name);
  return `DO $advance$ BEGIN
    UPDATE projection_checkpoints SET checkpoint = ${literal(last.position)},
      events_processed = events_processed + ${count}, batches = batches + 1,
      last_event_at = ${literal(last.metadata.occurredAt)}, updated_at = now()
    WHERE name = ${name} AND checkpoint IS NOT DISTINCT FROM ${expected === null ? 'NULL' : literal(expected)};
    IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = '${CHECKPOINT_MOVED}', MESSAGE = 'checkpoint moved'; END IF;
  END $advance$`;
}

/**
 * Applies one batch inside an open transaction: checks the projection's checkpoint is still
 * `expected` (cheap early check), runs the handler (its reads now, its writes queued), then in
 * one round trip moves the checkpoint from `expected` (the real fence), runs the queued writes
 * and, for applyBatch, COMMITs. search_path is set for this transaction only, so handlers name
 * their tables without a schema.
 */
export async function applyInTransaction(
  client: pg.ClientBase,
  options: BatchOptions,
  hooks: BatchHooks = {},
  statements: { begin?: string; commit?: string } = {},
): Promise<string> {
  const { schema, model, events, expected } = options;
  const last = events.at(-1);
  if (!last) throw new Error('applyInTransaction needs at least one event');
  // One round trip: (BEGIN;) settings; the stored checkpoint. The simple protocol returns one result per statement.
  // synchronous_commit off: read models are derived data. A crash can lose the last batches, but
  // each one together with its checkpoint, and the projector re-applies them from the log.
  const results = (await client.query(
    `${statements.begin ?? ''}SET LOCAL search_path TO ${ident(schema)}; SET LOCAL synchronous_commit TO off;
     SELECT checkpoint FROM projection_checkpoints WHERE name = ${literal(model.name)}`,
  )) as unknown as pg.QueryResult<{ checkpoint: string | null }>[];
  const stored = results.at(-1)?.rows[0];
  if (!stored) throw new Error(`No checkpoint row for projection ${model.name} in schema ${schema}`);
  if (stored.checkpoint !== expected) throw new CheckpointMovedError(model.name, expected, stored.checkpoint);
  const tx = projectionTx(client, { schema, model: model.name, enabled: options.announce !== false });
  await model.apply(tx, events);
  // The handler's writes carry their values as bound parameters, so no text can end a quote early.
  const writes = [advanceSql(model, expected, last, events.length), ...tx.takeWrites()];
  try {
    if (hooks.afterApply) {
      // Tests: the writes have run, nothing has committed; the hook may "crash" here.
      await pipelined(client, writes);
      await hooks.afterApply(events);
      if (statements.commit) await client.query(statements.commit);
    } else {
      // The checkpoint, the handler's writes and COMMIT: one round trip (pipelined).
      await pipelined(client, statements.commit ? [...writes, statements.commit] : writes);
    }
  } catch (error) {
    if ((error as { code?: string }).code === CHECKPOINT_MOVED) {
      throw new CheckpointMovedError(model.name, expected, null);
    }
    throw error;
  }
  return last.position;
}

/** One batch, one transaction: the handler's writes and the checkpoint commit together or not at all. */
export async function applyBatch(
  client: pg.ClientBase,
  options: BatchOptions,
  hooks: BatchHooks = {},
): Promise<string> {
  try {
    return await applyInTransaction(client, options, hooks, { begin: 'BEGIN; ', commit: 'COMMIT' });
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * Moves the checkpoint of a projection that had nothing to apply, from `expected` to where its
 * subscription has got to (Subscription.deliveredTo), with the same fence as a batch: without it
 * a projection whose events are rare keeps its checkpoint at its last one, and every lag reading
 * (/metrics, the dashboard, `projections status`) scans the log from there to the head.
 */
export async function moveIdleCheckpoint(
  db: pg.Pool | pg.PoolClient,
  options: { schema: string; name: string; expected: string | null; to: string },
): Promise<void> {
  const { schema, name, expected, to } = options;
  const moved = await db.query(
    `UPDATE ${qualified(schema, 'projection_checkpoints')} SET checkpoint = $1, updated_at = now()
     WHERE name = $2 AND checkpoint IS NOT DISTINCT FROM $3`,
    [to, name, expected],
  );
  if (moved.rowCount === 0) throw new CheckpointMovedError(name, expected, null);
}
