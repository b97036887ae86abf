import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { createEventStore, type EventStore } from '../../eventstore/index.js';
import { PostgresEventStore } from '../../eventstore/postgres/store.js';

/** This test worker's PostgreSQL cluster (test/support/global-setup.ts: one per worker). */
export function workerDatabaseUrl(): string {
  const urls = inject('databaseUrls');
  const worker = Number(process.env.VITEST_POOL_ID ?? 1);
  return urls[(worker - 1) % urls.length] as string;
}

/** A fresh database on this worker's PostgreSQL cluster, dropped by the returned `drop`. */
export async function createTestDatabase(prefix = 't'): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = workerDatabaseUrl();
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
      try {
        // A pool's end() resolves once it has asked its sessions to close, not once they have:
        // FORCE would then kill a closing session whose client no longer listens for errors, an
        // uncaught 57P01 in whichever test file runs next (seen in CI). Let them go first.
        for (let waited = 0; waited < 5_000; waited += 50) {
          const { rows } = await c.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
            [name],
          );
          if (rows[0]?.n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
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
