import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { createEventStore, type EventStore } from '../../eventstore/index.js';
import { PostgresEventStore } from '../../eventstore/postgres/store.js';

/** A fresh database on the run's PostgreSQL server, dropped by the returned `drop`. */
export async function createTestDatabase(prefix = 't'): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('databaseUrl');
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`.toLowerCase();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export const uniqueTaskQueue = (prefix = 'test') => `${prefix}-${randomUUID().slice(0, 8)}`;

/**
 * A database of this test file's own for event-store tests, created before its tests and dropped
 * after them. `freshStore` gives the real PostgreSQL store (as createEventStore builds it) in a
 * migrated schema of its own; `pool` is the database's pool, for looking under the store.
 */
export function useEventStoreDatabase(prefix: string) {
  let database: { url: string; drop: () => Promise<void> };
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await createTestDatabase(prefix);
    pool = new pg.Pool({ connectionString: database.url, max: 10 });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });
  return {
    pool: () => pool,
    async freshStore(): Promise<{ store: EventStore; schema: string }> {
      const schema = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      await new PostgresEventStore({ url: database.url, schema, pool }).migrate();
      return { store: createEventStore({ url: database.url, schema, pool }), schema };
    },
  };
}
