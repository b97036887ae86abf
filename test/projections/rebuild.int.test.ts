import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore, migrateEventStore } from '../../eventstore/index.js';
import { createPool } from '../../infra/db.js';
import { migrateReadModels } from '../../projections/migrate.js';
import { createReadModelQueries } from '../../projections/queries.js';
import { READ_MODELS } from '../../projections/registry.js';
import { rebuildReadModels } from '../../projections/runtime/rebuild.js';
import { type RunningProjectors, startProjectors } from '../../projections/runtime/start.js';
import {
  dumpTables,
  handledCounts,
  project,
  readModelDatabase,
  readWholeLog,
  SCHEMA,
  untilProcessed,
} from './support/harness.js';
import { type AppendOp, appendWorkload, coalesceByStream, countEvents, generateWorkload } from './support/workload.js';

const ALL_TABLES = READ_MODELS.flatMap((m) => m.tables);

let db: Awaited<ReturnType<typeof readModelDatabase>>;
let store: EventStore;
let projectors: RunningProjectors | undefined;
const appended: AppendOp[] = [];

async function append(ops: AppendOp[], concurrency = 8) {
  await appendWorkload(store, ops, { concurrency });
  appended.push(...ops);
}

beforeAll(async () => {
  db = await readModelDatabase();
  await migrateEventStore({ url: db.url });
  store = createEventStore({ url: db.url });
});
afterEach(async () => {
  await projectors?.stop();
  projectors = undefined;
});
afterAll(async () => {
  await store?.close();
  await db?.close();
});

/** Every read-model row plus what each checkpoint says (not how many batches it took, nor when). */
async function snapshot(schema = SCHEMA) {
  const { rows } = await db.pool.query(
    `SELECT name, checkpoint, events_processed, last_event_at FROM ${schema}.projection_checkpoints ORDER BY name`,
  );
  return { tables: await dumpTables(db.pool, ALL_TABLES, schema), checkpoints: rows };
}

function start() {
  projectors = startProjectors({ store, databaseUrl: db.url, tuning: { retryDelayMs: 50, lockPollMs: 100 } });
  return projectors;
}

describe('rebuild', () => {
  it('given a realistic mixed run projected live, when rebuilt from the log, then every table is identical row by row', async () => {
    start();
    // Many people, every outcome, failures and retries, delivery updates, opt-outs, broadcasts;
    // appended concurrently, as the workflow and the status callbacks would.
    await append(generateWorkload({ seed: 31, users: 60, tasks: 800, days: 5 }));
    await untilProcessed(db.pool, handledCounts(appended));
    const before = await snapshot();
    expect(before.tables.tasks?.length).toBe(800);

    const result = await rebuildReadModels({ databaseUrl: db.url, store });

    expect(result.rebuilt.sort()).toEqual(READ_MODELS.map((m) => m.name).sort());
    expect(result.droppedOldSchema).toBe(true);
    expect(await snapshot()).toEqual(before);
    // The live projectors notice the swap and carry on from the rebuilt checkpoints.
    await append(generateWorkload({ seed: 32, users: 5, tasks: 30, days: 1, sidPrefix: 'SMP' }));
    await untilProcessed(db.pool, handledCounts(appended));
    expect((await snapshot()).tables.tasks?.length).toBe(830);
  });

  it('readers keep working during the rebuild and are not blocked by the swap', async () => {
    const live = start();
    await append(generateWorkload({ seed: 34, users: 10, tasks: 50, days: 1, sidPrefix: 'SMW' }));
    await untilProcessed(db.pool, handledCounts(appended));
    await live.stop();
    const expected = (await db.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.tasks`)).rows[0].n;
    const queries = createReadModelQueries(db.pool);
    const reader = createPool(db.url, { max: 1 });
    const counts: number[] = [];
    const errors: unknown[] = [];
    let reading = true;
    const readers = Array.from({ length: 3 }, async () => {
      while (reading) {
        try {
          const [tasks] = await Promise.all([
            db.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.tasks`),
            queries.listTasks({ limit: 5 }),
            queries.dailyStats({}),
            db.pool.query(`SELECT count(*) FROM ${SCHEMA}.v_tasks`),
          ]);
          counts.push(tasks.rows[0].n);
        } catch (error) {
          errors.push(error);
        }
      }
    });
    let readDuringSwap: number | undefined;
    try {
      await rebuildReadModels({
        databaseUrl: db.url,
        store,
        async beforeCommit() {
          // The swap transaction holds its locks here; another session still reads (the old tables).
          await reader.query('SET statement_timeout = 2000');
          readDuringSwap = (await reader.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.tasks`)).rows[0].n;
        },
      });
    } finally {
      reading = false;
      await Promise.all(readers);
      await reader.end();
    }
    expect(errors).toEqual([]);
    expect(counts.length).toBeGreaterThan(0);
    expect(new Set(counts)).toEqual(new Set([expected]));
    expect(readDuringSwap).toBe(expected);
  });

  it('given one projection rebuilt while events arrive, then it and the copied ones match a clean replay', async () => {
    start();
    const appending = append(
      coalesceByStream(generateWorkload({ seed: 33, users: 20, tasks: 200, days: 2, sidPrefix: 'SMQ' }), 5),
      4,
    );
    const result = await rebuildReadModels({ databaseUrl: db.url, store, only: ['daily_stats'], keepOldSchema: true });
    await appending;
    await untilProcessed(db.pool, handledCounts(appended));

    expect(result.rebuilt).toEqual(['daily_stats']);
    expect(result.copied.sort()).toEqual(
      READ_MODELS.map((m) => m.name)
        .filter((n) => n !== 'daily_stats')
        .sort(),
    );
    const schemas = await db.pool.query('SELECT nspname FROM pg_namespace WHERE nspname = $1', [result.replacedSchema]);
    expect(schemas.rowCount).toBe(1);

    const reference = 'rm_reference';
    await migrateReadModels(db.url, { schema: reference });
    const events = await readWholeLog(store, countEvents(appended));
    for (const model of READ_MODELS) await project(db.pool, model, events, { schema: reference });
    expect((await snapshot()).tables).toEqual((await snapshot(reference)).tables);
  });
});
