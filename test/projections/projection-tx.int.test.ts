import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineParameters } from '../../projections/runtime/projection-tx.js';
import { createTestDatabase } from '../support/database.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('rmtx');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('deferred writes inline their parameters safely', () => {
  it.each(["it's", 'a $v$ b', '$v$$v0$$v1$', 'back\\slash \\n', 'emoji 😊 "quoted"', "'); DROP TABLE x; --", ''])(
    'given %j, then PostgreSQL reads back exactly the same text',
    async (text) => {
      const { rows } = await client.query(inlineParameters('SELECT $1::text AS t, $2::json AS j', [text, { text }]));
      expect(rows[0]).toEqual({ t: text, j: { text } });
    },
  );

  it('given null, numbers and booleans, then they arrive as NULL and as their JSON text', async () => {
    const { rows } = await client.query(
      inlineParameters('SELECT $1::int AS n, $2 AS z, $3::boolean AS b', [42, null, true]),
    );
    expect(rows[0]).toEqual({ n: 42, z: null, b: true });
  });
});
