import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch } from '../../projections/runtime/apply-batch.js';
import { ensureCheckpointRow, readCheckpoint } from '../../projections/runtime/checkpoints.js';
import { defineReadModel, type ProjectionTx } from '../../projections/runtime/types.js';
import { eventLog, readModelDatabase, SCHEMA } from './support/harness.js';

/**
 * The batch transaction's deferred writes: their values reach PostgreSQL as bound parameters
 * (exactly as given, whatever they contain), and the checkpoint move, the writes and COMMIT
 * still go out in one round trip.
 */

let db: Awaited<ReturnType<typeof readModelDatabase>>;

beforeAll(async () => {
  db = await readModelDatabase();
  await db.pool.query(
    `CREATE TABLE ${SCHEMA}.tx_values (id integer PRIMARY KEY, t text, j json, n integer, b boolean)`,
  );
});
afterAll(async () => db?.close());

let models = 0;
/** A read model whose handler defers the given writes (plus `ops`, to make a batch fail, or count). */
function modelWriting(write: (tx: ProjectionTx) => void) {
  return defineReadModel({
    name: `tx_test_${++models}`,
    handles: ['SmsReceived'],
    tables: ['tx_values'],
    async apply(tx) {
      write(tx);
    },
  });
}

function oneEvent() {
  const log = eventLog();
  log.sms('SMTX', 'SmsReceived', {
    messageSid: 'SMTX',
    from: '+14155550100',
    to: '+14155550101',
    body: 'hi',
    numMedia: 0,
    provider: 'twilio',
    receivedAt: '2026-01-10T12:00:00.000Z',
  });
  return log.events;
}

async function runBatch(model: ReturnType<typeof modelWriting>, client?: pg.PoolClient) {
  await ensureCheckpointRow(db.pool, SCHEMA, model.name);
  const own = client ?? (await db.pool.connect());
  try {
    return await applyBatch(own, { schema: SCHEMA, model, events: oneEvent(), expected: null });
  } finally {
    if (!client) own.release();
  }
}

const ODD = [
  'x$v',
  '$v$',
  'a $v$ b',
  '$v$$v0$$v1$',
  'x$v0',
  '$$',
  '$tag$ $$ $',
  "it's",
  "''",
  'back\\slash \\n \\',
  "E'\\x41'",
  'tab\tnew\nline\r\n',
  'emoji 😊 "quoted"',
  "'); DROP TABLE tx_values; --",
  '$1 $2::text',
  '',
];

describe('deferred writes bind their values', () => {
  it('given text that would close a dollar quote, quotes, backslashes or SQL, then it is stored exactly', async () => {
    const model = modelWriting((tx) => {
      ODD.forEach((text, i) => {
        tx.defer('INSERT INTO tx_values (id, t, j) VALUES ($1::integer, $2, $3::json)', [i, text, { text }]);
      });
    });
    await runBatch(model);

    const { rows } = await db.pool.query(`SELECT id, t, j FROM ${SCHEMA}.tx_values WHERE id < 100 ORDER BY id`);
    expect(rows).toEqual(ODD.map((text, id) => ({ id, t: text, j: { text } })));
    expect(await readCheckpoint(db.pool, SCHEMA, model.name)).not.toBeNull();
  });

  it('given null, numbers, booleans and objects, then they arrive as NULL and as their JSON text', async () => {
    const model = modelWriting((tx) => {
      tx.defer('INSERT INTO tx_values (id, t, n, b, j) VALUES ($1::integer, $2, $3::integer, $4::boolean, $5::json)', [
        100,
        null,
        42,
        true,
        [{ a: 1 }, 'two'],
      ]);
      tx.defer('INSERT INTO tx_values (id, t) VALUES ($1::integer, $2)', [101, undefined]);
    });
    await runBatch(model);

    const { rows } = await db.pool.query(
      `SELECT id, t, n, b, j FROM ${SCHEMA}.tx_values WHERE id IN (100, 101) ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 100, t: null, n: 42, b: true, j: [{ a: 1 }, 'two'] },
      { id: 101, t: null, n: null, b: null, j: null },
    ]);
  });

  it('given a write that fails, then the batch is rolled back whole and the client keeps working', async () => {
    const model = modelWriting((tx) => {
      tx.defer('INSERT INTO tx_values (id, t) VALUES ($1::integer, $2)', [200, 'before']);
      tx.defer('INSERT INTO tx_values (id, t) VALUES ($1::integer, $2)', [200, 'duplicate key']);
      tx.defer('INSERT INTO tx_values (id, t) VALUES ($1::integer, $2)', [201, 'after']);
    });
    const client = await db.pool.connect();
    try {
      await expect(runBatch(model, client)).rejects.toMatchObject({ code: '23505' });
      expect((client as unknown as { pipeline: boolean }).pipeline).toBe(false);
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query(`SELECT id FROM ${SCHEMA}.tx_values WHERE id >= 200`);
    expect(rows).toEqual([]);
    expect(await readCheckpoint(db.pool, SCHEMA, model.name)).toBeNull();
  });
});

describe('round trips', () => {
  it('given a handler that defers several writes, then the batch costs two round trips', async () => {
    const model = modelWriting((tx) => {
      for (let i = 0; i < 5; i++) tx.defer('INSERT INTO tx_values (id, t) VALUES ($1::integer, $2)', [300 + i, 'x$v']);
    });
    const client = await db.pool.connect();
    try {
      await ensureCheckpointRow(db.pool, SCHEMA, model.name);
      // What crosses the socket, in order: client writes (W) and server answers (R). A round trip
      // is a run of writes that waits for an answer before the next run.
      const stream = (client as unknown as { connection: { stream: NodeJS.WritableStream & NodeJS.EventEmitter } })
        .connection.stream;
      const trace: string[] = [];
      const write = stream.write.bind(stream);
      stream.write = ((...args: Parameters<typeof write>) => {
        trace.push('W');
        return write(...args);
      }) as typeof stream.write;
      const onData = () => trace.push('R');
      stream.on('data', onData);
      try {
        await applyBatch(client, { schema: SCHEMA, model, events: oneEvent(), expected: null });
      } finally {
        stream.write = write;
        stream.off('data', onData);
      }
      const runsOfWrites = trace.join('').match(/W+/g) ?? [];
      expect(runsOfWrites).toHaveLength(2);
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.tx_values WHERE id >= 300`);
    expect(rows[0].n).toBe(5);
  });
});
