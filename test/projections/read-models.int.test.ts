import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateReadModels } from '../../projections/migrate.js';
import { READ_MODELS } from '../../projections/registry.js';
import { applyAgain, dumpTables, opsToEvents, project, readModelDatabase, SCHEMA } from './support/harness.js';
import { generateWorkload } from './support/workload.js';

let db: Awaited<ReturnType<typeof readModelDatabase>>;

beforeAll(async () => {
  db = await readModelDatabase();
});
afterAll(async () => db?.close());

describe('every read model, fed a realistic mixed log', () => {
  const events = opsToEvents(generateWorkload({ seed: 7, users: 25, tasks: 300, days: 3 }));

  it.each(READ_MODELS.map((m) => [m.name, m] as const))(
    '%s: the same rows whatever the batch boundaries, and a redelivered log changes nothing',
    async (_name, model) => {
      const schemas = { whole: SCHEMA, small: `rm_b7_${model.name}`, medium: `rm_b100_${model.name}` };
      await migrateReadModels(db.url, { schema: schemas.small });
      await migrateReadModels(db.url, { schema: schemas.medium });

      await project(db.pool, model, events, { schema: schemas.whole });
      await project(db.pool, model, events, { schema: schemas.small, batchSize: 7 });
      await project(db.pool, model, events, { schema: schemas.medium, batchSize: 100 });

      const whole = await dumpTables(db.pool, model.tables, schemas.whole);
      expect(Object.values(whole).some((rows) => rows.length > 0)).toBe(true);
      expect(await dumpTables(db.pool, model.tables, schemas.small)).toEqual(whole);
      expect(await dumpTables(db.pool, model.tables, schemas.medium)).toEqual(whole);

      await applyAgain(db.pool, model, events);
      expect(await dumpTables(db.pool, model.tables, schemas.whole)).toEqual(whole);
    },
  );
});

describe('read-model migrations and the analyst role', () => {
  it('given migrated read models, migrating again runs nothing', async () => {
    expect(await migrateReadModels(db.url)).toEqual([]);
  });

  it('the analyst role reads every documented view but no table', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE analyst');
      for (const view of [
        'v_tasks',
        'v_daily_stats',
        'v_daily_category_stats',
        'v_user_activity',
        'v_failures',
        'v_delivery',
      ]) {
        const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.${view}`);
        expect(rows[0].n, view).toBeGreaterThanOrEqual(0);
      }
      await expect(client.query(`SELECT * FROM ${SCHEMA}.tasks LIMIT 1`)).rejects.toThrow(/permission denied/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('the views hide message bodies and mask phone numbers', async () => {
    const { rows } = await db.pool.query(`SELECT * FROM ${SCHEMA}.v_tasks WHERE phone_masked IS NOT NULL LIMIT 1`);
    expect(rows[0]).toBeDefined();
    expect(Object.keys(rows[0])).not.toContain('sms_content');
    // First digit and last two only; user_key is a keyed hash (test/projections/analyst-privacy.int.test.ts).
    expect(rows[0].phone_masked).toMatch(/^\+\d\*{7}\d{2}$/);
    expect(rows[0].user_key).toMatch(/^[0-9a-f]{24}$/);
  });
});
