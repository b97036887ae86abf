import {
  assertValidEvent,
  currentSchemaVersion,
  type DomainEventType,
  type EventOfType,
} from '../../../domain/events/catalogue.js';
import { eventId } from '../../../domain/events/envelope.js';
import type { EventStore } from '../../../eventstore/port.js';
import { createPool, type Pool } from '../../../infra/db.js';
import { migrateReadModels } from '../../../projections/migrate.js';
import { READ_MODELS } from '../../../projections/registry.js';
import { applyBatch } from '../../../projections/runtime/apply-batch.js';
import { ensureCheckpointRow, readCheckpoint } from '../../../projections/runtime/checkpoints.js';
import { toProjectionEvent } from '../../../projections/runtime/events.js';
import { pipelined, projectionTx } from '../../../projections/runtime/projection-tx.js';
import type { ProjectionEvent, ReadModel } from '../../../projections/runtime/types.js';
import { qualified, READ_MODEL_SCHEMA } from '../../../projections/shared/sql.js';
import { createTestDatabase } from '../../support/database.js';
import type { AppendOp } from './workload.js';

export const SCHEMA = READ_MODEL_SCHEMA;

/** A fresh database with the read models migrated; `close` drops it. */
export async function readModelDatabase(): Promise<{ url: string; pool: Pool; close: () => Promise<void> }> {
  const db = await createTestDatabase('rm');
  await migrateReadModels(db.url);
  const pool = createPool(db.url, { max: 8 });
  return {
    url: db.url,
    pool,
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
}

/**
 * Builds events as the store would hand them out (stream revisions, ordered positions), for
 * tests that feed handlers directly. Each event is checked against the catalogue.
 */
export function eventLog(start = '2026-01-10T12:00:00.000Z') {
  let position = 0;
  let clock = Date.parse(start);
  const revisions = new Map<string, number>();
  const events: ProjectionEvent[] = [];

  function append<T extends DomainEventType>(
    stream: string,
    type: T,
    data: EventOfType<T>['data'],
    options: { at?: string } = {},
  ): ProjectionEvent<T> {
    assertValidEvent(type, data);
    clock += 1000;
    const at = options.at ?? new Date(clock).toISOString();
    const revision = (revisions.get(stream) ?? -1) + 1;
    revisions.set(stream, revision);
    position++;
    const event = {
      type,
      data,
      metadata: { correlationId: stream, occurredAt: at, schemaVersion: currentSchemaVersion(type) },
      id: eventId(stream, `test/${position}`),
      streamName: stream,
      revision,
      position: String(position).padStart(12, '0'),
      recordedAt: new Date(at),
    } as ProjectionEvent<T>;
    events.push(event);
    return event;
  }
  return {
    events,
    append,
    sms: <T extends DomainEventType>(sid: string, type: T, data: EventOfType<T>['data'], options?: { at?: string }) =>
      append(`sms-${sid}`, type, data, options),
    user: <T extends DomainEventType>(
      phone: string,
      type: T,
      data: EventOfType<T>['data'],
      options?: { at?: string },
    ) => append(`user-${phone}`, type, data, options),
    broadcast: <T extends DomainEventType>(
      id: string,
      type: T,
      data: EventOfType<T>['data'],
      options?: { at?: string },
    ) => append(`broadcast-${id}`, type, data, options),
  };
}

/** The generator's appends as a log of projection events (positions in append order). */
export function opsToEvents(ops: readonly AppendOp[]): ProjectionEvent[] {
  const log = eventLog();
  for (const op of ops) {
    for (const e of op.events) {
      const event = log.append(op.stream, e.type as DomainEventType, e.data as never, { at: e.metadata.occurredAt });
      // Who acted through the admin API, for the audit read model.
      if (e.metadata.actor) Object.assign(event.metadata, { actor: e.metadata.actor, reason: e.metadata.reason });
    }
  }
  return log.events;
}

/** Only the events a read model subscribes to, as the store's filter would deliver them. */
export const handledBy = (model: ReadModel, events: readonly ProjectionEvent[]) =>
  events.filter((e) => (model.handles as readonly string[]).includes(e.type));

/**
 * Applies events to a read model in batches of `batchSize` (all at once by default), each in
 * its own transaction with the checkpoint, exactly as the projector does.
 */
export async function project(
  pool: Pool,
  model: ReadModel,
  events: readonly ProjectionEvent[],
  options: { batchSize?: number; schema?: string } = {},
): Promise<void> {
  const schema = options.schema ?? SCHEMA;
  const mine = handledBy(model, events);
  await ensureCheckpointRow(pool, schema, model.name);
  let checkpoint = await readCheckpoint(pool, schema, model.name);
  const size = options.batchSize ?? Math.max(1, mine.length);
  const client = await pool.connect();
  try {
    for (let i = 0; i < mine.length; i += size) {
      checkpoint = await applyBatch(client, { schema, model, events: mine.slice(i, i + size), expected: checkpoint });
    }
  } finally {
    client.release();
  }
}

/** Applies a batch again, ignoring the checkpoint: what a redelivered batch does to the handler. */
export async function applyAgain(pool: Pool, model: ReadModel, events: readonly ProjectionEvent[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL search_path TO ${SCHEMA}`);
    const tx = projectionTx(client);
    await model.apply(tx, handledBy(model, events));
    await pipelined(client, tx.takeWrites());
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

/** Every row of the tables, as JSON, in a total order: for comparing whole read models. */
export async function dumpTables(pool: Pool, tables: readonly string[], schema = SCHEMA) {
  const dump: Record<string, unknown[]> = {};
  for (const table of tables) {
    const { rows } = await pool.query<{ r: unknown }>(
      `SELECT to_jsonb(t) AS r FROM ${qualified(schema, table)} t ORDER BY to_jsonb(t)::text`,
    );
    dump[table] = rows.map((row) => row.r);
  }
  return dump;
}

export async function rows<T = Record<string, unknown>>(pool: Pool, sql: string, values: unknown[] = []): Promise<T[]> {
  return (await pool.query(sql.replaceAll('rm.', `${SCHEMA}.`), values)).rows as T[];
}

export async function until(check: () => Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Per projection, how many of these appended events it handles. */
export function handledCounts(ops: readonly AppendOp[]): Record<string, number> {
  const events = ops.flatMap((op) => op.events);
  return Object.fromEntries(
    READ_MODELS.map((m) => [m.name, events.filter((e) => (m.handles as readonly string[]).includes(e.type)).length]),
  );
}

/**
 * Waits until each named projection's checkpoint row has counted exactly `counts[name]` events.
 * Tests wait on counts, not on "caught up": the store's head is its visibility horizon, which any
 * long transaction anywhere on the server (another test file's) can hold back for a while.
 */
export async function untilProcessed(
  pool: Pool,
  counts: Record<string, number>,
  options: { schema?: string; timeoutMs?: number } = {},
): Promise<void> {
  const schema = options.schema ?? SCHEMA;
  await until(
    async () => {
      const { rows } = await pool
        .query(`SELECT name, events_processed FROM ${qualified(schema, 'projection_checkpoints')}`)
        .catch(() => ({ rows: [] as { name: string; events_processed: number }[] }));
      const seen = new Map(rows.map((r) => [r.name, Number(r.events_processed)]));
      return Object.entries(counts).every(([name, n]) => seen.get(name) === n);
    },
    options.timeoutMs ?? 60_000,
    `projections to process ${JSON.stringify(counts)}`,
  );
}

/** The whole log once the store hands all `expected` events out (its horizon has passed them). */
export async function readWholeLog(store: EventStore, expected: number): Promise<ProjectionEvent[]> {
  let events: ProjectionEvent[] = [];
  await until(
    async () => {
      events = (await store.readAll()).map(toProjectionEvent);
      return events.length === expected;
    },
    60_000,
    `the store to hand out ${expected} events`,
  );
  return events;
}
