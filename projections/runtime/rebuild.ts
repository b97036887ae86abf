import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { EventStore, RecordedEvent } from '../../eventstore/port.js';
import { createPool } from '../../infra/db.js';
import type { Logger } from '../../infra/logger.js';
import { migrateReadModels } from '../migrate.js';
import { READ_MODELS, readModelsNamed } from '../registry.js';
import { assertSchemaName, ident, qualified, READ_MODEL_SCHEMA, withClient } from '../shared/sql.js';
import { AdvisoryLock } from './advisory-lock.js';
import { applyBatch, applyInTransaction } from './apply-batch.js';
import { CHANGES_CHANNEL, type ChangeNotice, notifySql } from './change-notices.js';
import { ensureCheckpointRow, readCheckpoint } from './checkpoints.js';
import { filterFor, toProjectionEvent } from './events.js';
import { measureLag } from './lag.js';
import { rebuildProgress } from './rebuild-progress.js';
import type { ReadModel } from './types.js';

/** The advisory lock a rebuild of `schema` holds from start to finish (one at a time, any process). */
export const rebuildLockKey = (schema: string) => `sms-agent rebuild ${schema}`;

export interface RebuildOptions {
  databaseUrl: string;
  store: EventStore;
  /** The live schema that readers use (default read_models). */
  schema?: string;
  /** Projections to replay; the others are copied as they are. All by default. */
  only?: string[];
  batchSize?: number;
  /** Keep the replaced schema (renamed `<schema>_replaced_<stamp>`) instead of dropping it. */
  keepOldSchema?: boolean;
  logger?: Logger;
  now?: () => Date;
  /** Names this rebuild's progress rows (projection_rebuilds); a fresh id by default. */
  rebuildId?: string;
  /** Who asked (shown with the progress). */
  requestedBy?: string;
  /** Runs inside the swap transaction just before COMMIT (tests check readers here). */
  beforeCommit?: (client: pg.PoolClient) => Promise<void>;
}

export interface RebuildResult {
  rebuildId: string;
  schema: string;
  rebuilt: string[];
  copied: string[];
  /** Events replayed per rebuilt projection. */
  events: Record<string, number>;
  replacedSchema: string;
  droppedOldSchema: boolean;
  durationMs: number;
}

/**
 * Rebuilds read models without stopping readers:
 *   1. migrate a fresh schema `rm_<stamp>` and replay the whole log into it (live projectors and
 *      the API keep using the live schema meanwhile);
 *   2. in ONE transaction: lock the live checkpoint table (a live projector's batch that already
 *      moved its checkpoint commits first; the others wait at that step), replay the last few
 *      events, copy the projections that are not rebuilt (rows and checkpoints, consistent since
 *      no live batch can commit), then rename the live schema away and the fresh one to the live
 *      name;
 *   3. drop the replaced schema.
 * Queries name the schema, so each one reads either the old or the new tables, never a mix of
 * half-built ones; the views travel with their schema. A waiting projector resolves the live name
 * again once the lock is released, finds a checkpoint it did not write, rolls back and resumes
 * from the stored one.
 */
export async function rebuildReadModels(options: RebuildOptions): Promise<RebuildResult> {
  const started = performance.now();
  const log = options.logger;
  const live = assertSchemaName(options.schema ?? READ_MODEL_SCHEMA);
  const rebuilt = readModelsNamed(options.only);
  const copied = READ_MODELS.filter((m) => !rebuilt.includes(m));
  const stamp = (options.now?.() ?? new Date()).toISOString().replace(/\D/g, '').slice(0, 17);
  const target = `rm_${stamp}`;
  const replaced = `${live}_replaced_${stamp}`.slice(0, 63);
  const batchSize = options.batchSize ?? 5000;
  const rebuildId = options.rebuildId ?? randomUUID();

  const lock = new AdvisoryLock(options.databaseUrl, rebuildLockKey(live));
  if (!(await lock.tryAcquire())) throw new Error(`Another rebuild of schema ${live} is running`);
  // No statement timeout: the swap copies and drops whole tables in single statements.
  const pool = createPool(options.databaseUrl, {
    max: rebuilt.length + 1,
    applicationName: 'sms-agent rebuild',
    timeouts: { statementMs: 0 },
  });
  const progress = rebuildProgress(pool, live, rebuildId);
  let progressStarted = false;
  try {
    await migrateReadModels(options.databaseUrl, { schema: live, logger: log });
    const startedAt = options.now?.() ?? new Date();
    for (const model of rebuilt) {
      await progress.start(model.name, {
        eventsTotal: await estimateTotal(pool, options.store, live, model),
        startedBy: options.requestedBy ?? null,
        startedAt,
      });
    }
    progressStarted = true;
    await migrateReadModels(options.databaseUrl, { schema: target, logger: log });
    log?.info({ target, rebuild: rebuilt.map((m) => m.name) }, 'replaying the event log into a fresh schema');

    const events: Record<string, number> = {};
    await Promise.all(
      rebuilt.map(async (model) => {
        await ensureCheckpointRow(pool, target, model.name);
        events[model.name] = await catchUp(pool, options.store, target, model, batchSize, (count) =>
          progress.replayed(model.name, count),
        );
        log?.info({ projection: model.name, events: events[model.name] }, 'projection replayed');
      }),
    );

    await withClient(pool, async (client) => {
      try {
        await client.query('BEGIN');
        await client.query(`LOCK TABLE ${qualified(live, 'projection_checkpoints')} IN EXCLUSIVE MODE`);
        for (const model of rebuilt) {
          const more = await catchUpInTransaction(client, options.store, target, model, batchSize);
          events[model.name] = (events[model.name] ?? 0) + more;
        }
        for (const model of copied) await copyProjection(client, live, target, model);
        // The progress history moves with the swap; the final update lands in the new live schema.
        await client.query(
          `INSERT INTO ${qualified(target, 'projection_rebuilds')} SELECT * FROM ${qualified(live, 'projection_rebuilds')}`,
        );
        // One notice per rebuilt model, delivered at COMMIT: listeners reload instead of hearing every row.
        for (const model of rebuilt) {
          const notice: ChangeNotice = { schema: live, model: model.name, rebuilt: true };
          await client.query(notifySql, [CHANGES_CHANNEL, JSON.stringify(notice)]);
        }
        await client.query(`ALTER SCHEMA ${ident(live)} RENAME TO ${ident(replaced)}`);
        await client.query(`ALTER SCHEMA ${ident(target)} RENAME TO ${ident(live)}`);
        await options.beforeCommit?.(client);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        await client.query(`DROP SCHEMA IF EXISTS ${ident(target)} CASCADE`).catch(() => {});
        throw error;
      }
    });
    log?.info({ schema: live, replaced }, 'rebuilt read models swapped in');

    await progress.finish({ events });
    let droppedOldSchema = false;
    if (!options.keepOldSchema) {
      // Waits for readers still inside a query on the old tables; new queries already use the new ones.
      await pool.query(`DROP SCHEMA ${ident(replaced)} CASCADE`);
      droppedOldSchema = true;
    }
    return {
      rebuildId,
      schema: live,
      rebuilt: rebuilt.map((m) => m.name),
      copied: copied.map((m) => m.name),
      events,
      replacedSchema: replaced,
      droppedOldSchema,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (progressStarted) {
      await progress.finish({ error: error instanceof Error ? error.message : String(error) }).catch((e) => {
        log?.warn({ err: e }, 'could not record the failed rebuild');
      });
    }
    throw error;
  } finally {
    await pool.end();
    await lock.release();
  }
}

/**
 * What a projection's replay will go through, without reading the whole log: the live
 * projection's events processed plus what it has not applied yet (lag, counted up to its cap).
 */
async function estimateTotal(pool: pg.Pool, store: EventStore, live: string, model: ReadModel): Promise<number> {
  const { rows } = await pool.query<{ checkpoint: string | null; events_processed: string }>(
    `SELECT checkpoint, events_processed FROM ${qualified(live, 'projection_checkpoints')} WHERE name = $1`,
    [model.name],
  );
  const row = rows[0];
  const lag = await measureLag(store, row?.checkpoint ?? null, filterFor(model), { cap: 100_000 });
  return Number(row?.events_processed ?? 0) + lag.events;
}

/**
 * Replays a projection from its checkpoint to the head of the log, one transaction per page,
 * reading the next page while the current one is applied.
 */
export async function catchUp(
  pool: pg.Pool,
  store: EventStore,
  schema: string,
  model: ReadModel,
  batchSize: number,
  onPage?: (replayed: number) => Promise<void>,
): Promise<number> {
  const filter = filterFor(model);
  let checkpoint = await readCheckpoint(pool, schema, model.name);
  const read = (from: string | null) => store.readAll({ from: from ?? undefined, filter, maxCount: batchSize });
  let page = await read(checkpoint);
  let count = 0;
  await withClient(pool, async (client) => {
    while (page.length > 0) {
      const last = (page.at(-1) as RecordedEvent).position;
      const next = page.length === batchSize ? read(last) : Promise.resolve([]);
      next.catch(() => {});
      const events = page.map(toProjectionEvent);
      checkpoint = await applyBatch(client, { schema, model, events, expected: checkpoint, announce: false });
      count += page.length;
      await onPage?.(count);
      page = await next;
    }
  });
  return count;
}

async function catchUpInTransaction(
  client: pg.PoolClient,
  store: EventStore,
  schema: string,
  model: ReadModel,
  batchSize: number,
): Promise<number> {
  let checkpoint = await readCheckpoint(client, schema, model.name);
  let count = 0;
  for (;;) {
    const page = await store.readAll({ from: checkpoint ?? undefined, filter: filterFor(model), maxCount: batchSize });
    if (page.length === 0) return count;
    const events = page.map(toProjectionEvent);
    checkpoint = await applyInTransaction(client, { schema, model, events, expected: checkpoint, announce: false });
    count += page.length;
  }
}

/** Copies a projection's rows and checkpoint as they are (both schemas run the same migrations). */
async function copyProjection(client: pg.PoolClient, from: string, to: string, model: ReadModel): Promise<void> {
  for (const table of model.tables) {
    await client.query(`INSERT INTO ${qualified(to, table)} SELECT * FROM ${qualified(from, table)}`);
  }
  await client.query(
    `INSERT INTO ${qualified(to, 'projection_checkpoints')} SELECT * FROM ${qualified(from, 'projection_checkpoints')}
     WHERE name = $1 ON CONFLICT (name) DO UPDATE SET checkpoint = EXCLUDED.checkpoint,
       events_processed = EXCLUDED.events_processed, batches = EXCLUDED.batches,
       last_event_at = EXCLUDED.last_event_at, updated_at = EXCLUDED.updated_at`,
    [model.name],
  );
}
