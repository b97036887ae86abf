import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore, migrateEventStore } from '../../eventstore/index.js';
import { createPool } from '../../infra/db.js';
import { type RunningPostgres, startEmbeddedPostgres } from '../../infra/embedded-postgres.js';
import { migrateReadModels } from '../../projections/migrate.js';
import { READ_MODELS } from '../../projections/registry.js';
import { applyBatch, CheckpointMovedError } from '../../projections/runtime/apply-batch.js';
import { ensureCheckpointRow } from '../../projections/runtime/checkpoints.js';
import { Projector } from '../../projections/runtime/projector.js';
import { startProjectors } from '../../projections/runtime/start.js';
import { withClient } from '../../projections/shared/sql.js';
import { tasksReadModel } from '../../projections/tasks/handler.js';
import {
  dumpTables,
  handledBy,
  handledCounts,
  project,
  readModelDatabase,
  readWholeLog,
  SCHEMA,
  until,
  untilProcessed,
} from './support/harness.js';
import { type AppendOp, appendWorkload, countEvents, generateWorkload } from './support/workload.js';

const ALL_TABLES = READ_MODELS.flatMap((m) => m.tables);
const fast = { retryDelayMs: 50, lockPollMs: 100 };

let db: Awaited<ReturnType<typeof readModelDatabase>>;
let store: EventStore;
const appended: AppendOp[] = [];
const running: { stop(): Promise<void> }[] = [];

async function append(ops: AppendOp[]) {
  await appendWorkload(store, ops, { concurrency: 4 });
  appended.push(...ops);
}

beforeAll(async () => {
  db = await readModelDatabase();
  await migrateEventStore({ url: db.url });
  store = createEventStore({ url: db.url });
  // Every test starts with this log; some append more.
  await append(generateWorkload({ seed: 10, users: 10, tasks: 60, days: 1, sidPrefix: 'SMS' }));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await store?.close();
  await db?.close();
});

/** Fresh read models: every test starts from an empty schema and the whole log. */
async function resetReadModels(schema = SCHEMA) {
  await db.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await migrateReadModels(db.url, { schema });
}

/** The read models as a clean, uninterrupted, single-batch replay of the whole log builds them. */
async function reference(tables = ALL_TABLES): Promise<Record<string, unknown[]>> {
  const schema = 'rm_reference';
  await resetReadModels(schema);
  const events = await readWholeLog(store, countEvents(appended));
  for (const model of READ_MODELS) await project(db.pool, model, events, { schema });
  return dumpTables(db.pool, tables, schema);
}

const only = (name: string) => ({ [name]: handledCounts(appended)[name] as number });

async function eventsProcessed(): Promise<Record<string, number>> {
  const { rows } = await db.pool.query(`SELECT name, events_processed FROM ${SCHEMA}.projection_checkpoints`);
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.events_processed)]));
}

describe('projector', () => {
  it('given running projectors, when events are appended, then every read model follows them live', async () => {
    await resetReadModels();
    const projectors = startProjectors({ store, databaseUrl: db.url, tuning: fast });
    running.push(projectors);
    await append(generateWorkload({ seed: 11, users: 10, tasks: 60, days: 1 }));

    await untilProcessed(db.pool, handledCounts(appended));

    expect(await dumpTables(db.pool, ALL_TABLES)).toEqual(await reference());
    await until(() => projectors.caughtUp(), 30_000, 'projectors to report caught up');
    const stats = await projectors.stats();
    expect(stats.map((s) => [s.name, s.state, s.lag.events])).toEqual(READ_MODELS.map((m) => [m.name, 'running', 0]));
    expect(stats.every((s) => s.eventsProcessed > 0 && s.batches > 0 && s.lastError === null)).toBe(true);
  });

  it('given a read model whose events stop coming while others flow, then its stored checkpoint follows the log, and its later events are still applied', async () => {
    await resetReadModels();
    const audit = READ_MODELS.find((m) => m.name === 'audit');
    if (!audit) throw new Error('no audit read model');
    const isAudit = (type: string) => (audit.handles as readonly string[]).includes(type);
    const projector = new Projector({ store, databaseUrl: db.url, model: audit, idleCheckpointMs: 100, ...fast });
    projector.start();
    running.push(projector);
    await untilProcessed(db.pool, only('audit'));
    const stored = async () =>
      (await db.pool.query(`SELECT checkpoint FROM ${SCHEMA}.projection_checkpoints WHERE name = 'audit'`)).rows[0]
        ?.checkpoint as string | null;
    const applied = await stored();

    // When 60 tasks' events are appended, none of them the audit log's
    const others = generateWorkload({ seed: 21, users: 5, tasks: 60, days: 1, sidPrefix: 'SMI' })
      .map((op) => ({ ...op, events: op.events.filter((e) => !isAudit(e.type)) }))
      .filter((op) => op.events.length > 0);
    await append(others);

    // Then its checkpoint moves past them to the log's head, with nothing applied
    const head = async () => store.headCheckpoint();
    await until(async () => (await stored()) === (await head()), 30_000, 'the idle checkpoint to reach the head');
    expect(await stored()).not.toBe(applied);
    expect((await eventsProcessed()).audit).toBe(only('audit').audit);

    // And events of its own appended after that are applied, as a clean replay applies them
    const more = generateWorkload({ seed: 22, users: 10, tasks: 80, days: 1, sidPrefix: 'SMJ' });
    expect(handledCounts(more).audit).toBeGreaterThan(0);
    await append(more);
    await untilProcessed(db.pool, only('audit'));
    expect(await dumpTables(db.pool, audit.tables)).toEqual(await reference([...audit.tables]));
  });

  it('given a crash inside the transaction after the handlers ran, then the batch is retried and nothing is counted twice', async () => {
    await resetReadModels();
    const crashed: string[] = [];
    const projectors = READ_MODELS.map((model) => {
      let batches = 0;
      return new Projector({
        store,
        databaseUrl: db.url,
        model,
        batchSize: 25,
        ...fast,
        hooks: {
          afterApply() {
            // Each projection dies once, on its second batch: its rows written, its checkpoint not committed.
            if (++batches !== 2) return;
            crashed.push(model.name);
            throw new Error('simulated crash between handlers and checkpoint');
          },
        },
      });
    });
    for (const p of projectors) p.start();
    running.push(...projectors);

    await untilProcessed(db.pool, handledCounts(appended));

    // Every projection with a second batch to die on (audit sees only a few of these events).
    const counts = handledCounts(appended);
    expect(crashed.sort()).toEqual(
      READ_MODELS.filter((m) => (counts[m.name] ?? 0) > 25)
        .map((m) => m.name)
        .sort(),
    );
    expect(crashed.length).toBeGreaterThanOrEqual(5);
    expect(await dumpTables(db.pool, ALL_TABLES)).toEqual(await reference());
  });

  it('given the connection killed in the middle of a batch, then the projector reconnects and double-counts nothing', async () => {
    await resetReadModels();
    let killed = 0;
    const projector = new Projector({
      store,
      databaseUrl: db.url,
      model: tasksReadModel,
      batchSize: 40,
      ...fast,
      hooks: {
        async afterApply() {
          if (killed++ !== 2) return;
          // What a crashed process or a dropped network looks like to PostgreSQL.
          await db.pool.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'projector tasks' AND state = 'idle in transaction'`,
          );
          await new Promise((r) => setTimeout(r, 50));
        },
      },
    });
    projector.start();
    running.push(projector);

    await untilProcessed(db.pool, only('tasks'));

    expect(killed).toBeGreaterThan(3);
    expect(await dumpTables(db.pool, ['tasks'])).toEqual(await reference(['tasks']));
  });

  it('given two instances of a projection, then one applies, the other stands by and takes over when the first stops', async () => {
    await resetReadModels();
    const first = new Projector({ store, databaseUrl: db.url, model: tasksReadModel, ...fast });
    first.start();
    await until(async () => (await first.stats()).state === 'running', 10_000, 'the first projector to take the lock');
    const second = new Projector({ store, databaseUrl: db.url, model: tasksReadModel, ...fast });
    second.start();
    running.push(second);
    await until(async () => (await second.stats()).state === 'standby', 10_000, 'the second projector to stand by');
    await untilProcessed(db.pool, only('tasks'));
    expect((await second.stats()).eventsProcessed).toBe(0);

    await first.stop();
    await append(generateWorkload({ seed: 12, users: 5, tasks: 20, days: 1, sidPrefix: 'SMB' }));

    await untilProcessed(db.pool, only('tasks'));
    expect((await second.stats()).eventsProcessed).toBeGreaterThan(0);
    expect(await dumpTables(db.pool, ['tasks'])).toEqual(await reference(['tasks']));
  });

  it('given two appliers racing with the same batch (no lock between them), then exactly one commits it', async () => {
    await resetReadModels();
    await ensureCheckpointRow(db.pool, SCHEMA, 'tasks');
    const events = handledBy(tasksReadModel, await readWholeLog(store, countEvents(appended))).slice(0, 200);
    const race = () =>
      withClient(db.pool, (client) =>
        applyBatch(client, { schema: SCHEMA, model: tasksReadModel, events, expected: null }),
      );

    const outcomes = await Promise.allSettled([race(), race(), race()]);

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected')) {
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(CheckpointMovedError);
    }
    expect(await eventsProcessed()).toMatchObject({ tasks: events.length });
  });

  it('given its checkpoint moved underneath it (a reset or a rebuild swap), then it resumes from the stored one', async () => {
    await resetReadModels();
    const projector = new Projector({ store, databaseUrl: db.url, model: tasksReadModel, ...fast });
    projector.start();
    running.push(projector);
    await untilProcessed(db.pool, only('tasks'));

    // An operator empties the read model and resets its checkpoint while the projector runs.
    await db.pool.query(
      `TRUNCATE ${SCHEMA}.tasks; UPDATE ${SCHEMA}.projection_checkpoints SET checkpoint = NULL, events_processed = 0`,
    );
    await append(generateWorkload({ seed: 13, users: 5, tasks: 5, days: 1, sidPrefix: 'SMC' }));

    await untilProcessed(db.pool, only('tasks'));
    expect(await dumpTables(db.pool, ['tasks'])).toEqual(await reference(['tasks']));
  });
});

/** A server of its own: restarting the run's shared one would break the other test files. */
describe('projector across a PostgreSQL restart', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rm-restart-'));
  const settings = { fsync: 'off', synchronous_commit: 'off' };
  let server: RunningPostgres | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('given a running projector, when PostgreSQL restarts, then it re-takes its lock and resumes from its checkpoint', {
    timeout: 90_000,
  }, async () => {
    server = await startEmbeddedPostgres({ dataDir, settings });
    const port = server.port;
    const url = server.url;
    await migrateEventStore({ url });
    await migrateReadModels(url);
    const ownStore = createEventStore({ url });
    const pool = createPool(url, { max: 2 });
    const projector = new Projector({ store: ownStore, databaseUrl: url, model: tasksReadModel, ...fast });
    try {
      const before = generateWorkload({ seed: 21, users: 5, tasks: 20, days: 1 });
      await appendWorkload(ownStore, before);
      projector.start();
      await untilProcessed(pool, { tasks: handledCounts(before).tasks as number });

      await server.stop();
      server = await startEmbeddedPostgres({ dataDir, port, settings });
      const after = generateWorkload({ seed: 22, users: 5, tasks: 20, days: 1, sidPrefix: 'SMR' });
      await retry(() => appendWorkload(ownStore, after));

      await untilProcessed(pool, { tasks: handledCounts([...before, ...after]).tasks as number });
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.tasks`);
      expect(rows[0].n).toBe(40);
      await until(async () => (await projector.stats()).state === 'running', 10_000, 'the projector to report running');
    } finally {
      await projector.stop();
      await ownStore.close();
      await pool.end();
    }
  });
});

/** The pool may hand out a connection that died with the old server: retry as a caller would. */
async function retry<T>(action: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
