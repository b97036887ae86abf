import { createHash, createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskPhone, maskPhonesIn } from '../../domain/phone.js';
import { createEventStore, type EventStore, migrateEventStore } from '../../eventstore/index.js';
import { migrateReadModels } from '../../projections/migrate.js';
import { rebuildReadModels } from '../../projections/runtime/rebuild.js';
import { createTestDatabase } from '../support/database.js';
import { readModelDatabase, SCHEMA } from './support/harness.js';
import { appendWorkload, coalesceByStream, generateWorkload } from './support/workload.js';

/**
 * What analysts can learn about people from the views: a keyed user_key they cannot recompute,
 * numbers masked to their first digit and last two, error text masked the same way; and the
 * secret behind user_key is out of their reach and survives a rebuild.
 */

let db: Awaited<ReturnType<typeof readModelDatabase>>;
let store: EventStore;

beforeAll(async () => {
  db = await readModelDatabase();
  await migrateEventStore({ url: db.url });
  store = createEventStore({ url: db.url });
  await appendWorkload(store, coalesceByStream(generateWorkload({ seed: 11, users: 12, tasks: 150, days: 2 })));
  await rebuildReadModels({ databaseUrl: db.url, store });
});
afterAll(async () => {
  await store?.close();
  await db?.close();
});

const secretKey = async (pool: pg.Pool | pg.Client = db.pool): Promise<Buffer> =>
  (await pool.query<{ key: Buffer }>('SELECT key FROM read_model_secrets.user_key_secret')).rows[0]?.key as Buffer;

const userKeyOf = (key: Buffer, phone: string) => createHmac('sha256', key).update(phone).digest('hex').slice(0, 24);

async function asAnalyst<T>(work: (query: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>) {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL ROLE analyst');
    return await work(async (sql) => (await client.query(sql)).rows);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

describe('user_key', () => {
  it('is an HMAC of the number under the installation secret, not md5, and the same in every view', async () => {
    const key = await secretKey();
    expect(key).toHaveLength(32);
    const people = await db.pool.query<{ phone: string }>(`SELECT phone FROM ${SCHEMA}.users ORDER BY phone`);
    expect(people.rows.length).toBeGreaterThan(5);
    const activity = await db.pool.query<{ user_key: string }>(`SELECT user_key FROM ${SCHEMA}.v_user_activity`);
    const keys = new Set(activity.rows.map((r) => r.user_key));
    for (const { phone } of people.rows) {
      const expected = userKeyOf(key, phone);
      expect(keys.has(expected), phone).toBe(true);
      expect(expected).not.toBe(createHash('md5').update(phone).digest('hex').slice(0, 24));
    }
    const tasks = await db.pool.query<{ user_phone: string; user_key: string }>(
      `SELECT t.user_phone, v.user_key FROM ${SCHEMA}.tasks t JOIN ${SCHEMA}.v_tasks v USING (message_sid)`,
    );
    for (const row of tasks.rows) expect(row.user_key).toBe(userKeyOf(key, row.user_phone));
    const failures = await db.pool.query<{ user_phone: string; user_key: string }>(
      `SELECT e.user_phone, v.user_key FROM ${SCHEMA}.error_logs e JOIN ${SCHEMA}.v_failures v USING (id)`,
    );
    expect(failures.rows.length).toBeGreaterThan(0);
    for (const row of failures.rows) expect(row.user_key).toBe(userKeyOf(key, row.user_phone));
  });

  it('differs between installations: each database draws its own secret', async () => {
    const other = await createTestDatabase('rmkey');
    try {
      await migrateReadModels(other.url);
      // A client, not a pool: its end() waits for the session to close, while a pool's end() can
      // return first and the DROP ... WITH (FORCE) below then kills a session that has no listener.
      const client = new pg.Client({ connectionString: other.url });
      await client.connect();
      try {
        const [mine, theirs] = [await secretKey(), await secretKey(client)];
        expect(theirs).toHaveLength(32);
        expect(theirs.equals(mine)).toBe(false);
      } finally {
        await client.end();
      }
    } finally {
      await other.drop();
    }
  });

  it('survives a rebuild: the secret is outside the swapped schema, so every key stays the same', async () => {
    const before = await db.pool.query(
      `SELECT user_key, phone_masked FROM ${SCHEMA}.v_user_activity ORDER BY user_key`,
    );
    const keyBefore = await secretKey();

    const result = await rebuildReadModels({ databaseUrl: db.url, store });

    expect(result.droppedOldSchema).toBe(true);
    expect((await secretKey()).equals(keyBefore)).toBe(true);
    const after = await db.pool.query(`SELECT user_key, phone_masked FROM ${SCHEMA}.v_user_activity ORDER BY user_key`);
    expect(after.rows).toEqual(before.rows);
    expect(after.rows.length).toBeGreaterThan(5);
  });
});

describe('the analyst role', () => {
  it('reads user keys through the views but can neither read the secret nor see its schema', async () => {
    await asAnalyst(async (query) => {
      const rows = await query(
        `SELECT user_key FROM ${SCHEMA}.v_failures UNION ALL SELECT user_key FROM ${SCHEMA}.v_tasks`,
      );
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.user_key).toMatch(/^[0-9a-f]{24}$/);
    });
    await asAnalyst(async (query) => {
      await expect(query('SELECT key FROM read_model_secrets.user_key_secret')).rejects.toThrow(/permission denied/);
    });
    const { rows } = await db.pool.query(
      `SELECT has_schema_privilege('analyst', 'read_model_secrets', 'USAGE') AS usage,
              has_table_privilege('analyst', 'read_model_secrets.user_key_secret', 'SELECT') AS can_select`,
    );
    expect(rows[0]).toEqual({ usage: false, can_select: false });
  });
});

describe('masking in the views', () => {
  const texts = [
    "The 'To' number +14155550123 is not a valid phone number.",
    'The number whatsapp:14155550123 is not reachable',
    'dial tel:14155550123 or TEL:+442071838750',
    'call +1 (415) 555-0123, +1.415.555.0124 or +44 20 7183 8750 now',
    'POST /Messages To=%2B14155550123&From=%2b14155550124',
    'checkpoint 000000001234 at 1767225600000, order 14155550123',
    'retry 3 of +5; +1234567890123456 is too long',
    '',
  ];
  const phones = ['+14155550123', '+442071838750', '+8613800138000', '12345', 'whatsapp:+14155550123'];

  it('SQL mask_phone and mask_phones_in give exactly what maskPhone and maskPhonesIn give', async () => {
    for (const text of texts) {
      const { rows } = await db.pool.query(`SELECT ${SCHEMA}.mask_phones_in($1) AS masked`, [text]);
      expect(rows[0].masked, text).toBe(maskPhonesIn(text));
    }
    for (const phone of phones) {
      const { rows } = await db.pool.query(`SELECT ${SCHEMA}.mask_phone($1) AS masked`, [phone]);
      expect(rows[0].masked, phone).toBe(maskPhone(phone));
    }
  });

  it('shows the first digit and the last two of each number, and masks numbers inside error messages', async () => {
    await asAnalyst(async (query) => {
      const people = await query(`SELECT phone_masked FROM ${SCHEMA}.v_user_activity`);
      expect(people.length).toBeGreaterThan(0);
      for (const row of people) expect(row.phone_masked).toMatch(/^\+\d\*{7}\d{2}$/);
      const failures = await query(`SELECT error_message FROM ${SCHEMA}.v_failures`);
      expect(failures.some((r) => String(r.error_message).includes("The 'To' number +1*******"))).toBe(true);
      for (const row of failures) expect(String(row.error_message)).not.toMatch(/\d{4}/);
    });
  });

  it('masks numbers in error text stored before the handlers masked it', async () => {
    const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM ${SCHEMA}.error_logs LIMIT 1`);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE ${SCHEMA}.error_logs SET message = 'Twilio refused +14155550123' WHERE id = $1`, [
        rows[0]?.id,
      ]);
      const view = await client.query(`SELECT error_message FROM ${SCHEMA}.v_failures WHERE id = $1`, [rows[0]?.id]);
      expect(view.rows[0].error_message).toBe('Twilio refused +1*******23');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});

describe('the privacy migration', () => {
  it('masks numbers in the error text of existing rows, as a rebuild would write them', async () => {
    const schema = 'rm_before_privacy';
    // Up to the analyst views of 1767225600001 only: a database that ran the earlier release.
    await runner({
      databaseUrl: db.url,
      dir: fileURLToPath(new URL('../../projections/migrations', import.meta.url)),
      direction: 'up',
      count: 2,
      schema,
      createSchema: true,
      migrationsSchema: schema,
      migrationsTable: 'pgmigrations',
      singleTransaction: true,
      log: () => {},
    });
    await db.pool.query(
      `INSERT INTO ${schema}.error_logs (id, type, message, task_message_sid, user_phone, step, attempts, round,
         stream_revision, created_at)
       VALUES (gen_random_uuid(), 'TwilioRestError', 'To +14155550123 failed', 'SMOLD', '+14155550123', 'sendReply',
         5, 0, 3, now())`,
    );
    await db.pool.query(
      `INSERT INTO ${schema}.tasks (id, message_sid, status, error_message, updated_at, revision)
       VALUES (gen_random_uuid(), 'SMOLD', 'failed', 'The number whatsapp:14155550123 is unreachable', now(), 3)`,
    );

    expect(await migrateReadModels(db.url, { schema })).toContain('1767225600002_analyst-privacy');

    const { rows } = await db.pool.query(
      `SELECT e.message, t.error_message FROM ${schema}.error_logs e JOIN ${schema}.tasks t ON t.message_sid = e.task_message_sid`,
    );
    expect(rows).toEqual([
      { message: 'To +1*******23 failed', error_message: 'The number whatsapp:+1*******23 is unreachable' },
    ]);
  });
});
