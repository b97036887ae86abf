import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore, migrateEventStore } from '../../eventstore/index.js';
import { applyBatch } from '../../projections/runtime/apply-batch.js';
import { CHANGES_CHANNEL, ChangeCollector, type ChangeNotice } from '../../projections/runtime/change-notices.js';
import { ensureCheckpointRow } from '../../projections/runtime/checkpoints.js';
import { rebuildReadModels } from '../../projections/runtime/rebuild.js';
import { readRebuildProgress } from '../../projections/runtime/rebuild-progress.js';
import { startProjectors } from '../../projections/runtime/start.js';
import { tasksReadModel } from '../../projections/tasks/index.js';
import { eventLog, handledCounts, readModelDatabase, rows, SCHEMA, untilProcessed } from './support/harness.js';
import { appendWorkload, generateWorkload } from './support/workload.js';

let db: Awaited<ReturnType<typeof readModelDatabase>>;
let store: EventStore;
let listener: pg.Client;
const notices: ChangeNotice[] = [];
const payloadSizes: number[] = [];

beforeAll(async () => {
  db = await readModelDatabase();
  await migrateEventStore({ url: db.url });
  store = createEventStore({ url: db.url });
  listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  listener.on('notification', (n) => {
    payloadSizes.push(Buffer.byteLength(n.payload ?? ''));
    notices.push(JSON.parse(n.payload ?? 'null'));
  });
  await listener.query(`LISTEN ${CHANGES_CHANNEL}`);
});
afterAll(async () => {
  await listener?.end();
  await store?.close();
  await db?.close();
});

const idsOf = (key: 'tasks' | 'failures', model?: string) =>
  new Set(notices.flatMap((n) => ('ids' in n && (model === undefined || n.model === model) ? (n.ids[key] ?? []) : [])));

describe('read models announce their changes (pg_notify in the batch transaction)', () => {
  it('a batch that rolls back announces nothing; the same batch committed announces its task', async () => {
    const log = eventLog();
    log.sms('SMnotice1', 'SmsReceived', {
      messageSid: 'SMnotice1',
      from: '+14155550100',
      to: '+15005550006',
      body: 'hello',
      numMedia: 0,
      provider: 'twilio',
      receivedAt: '2026-01-10T12:00:00.000Z',
    });
    await ensureCheckpointRow(db.pool, SCHEMA, tasksReadModel.name);
    const client = await db.pool.connect();
    try {
      const crash = new Error('crash before COMMIT');
      await expect(
        applyBatch(
          client,
          { schema: SCHEMA, model: tasksReadModel, events: log.events, expected: null },
          {
            afterApply: () => {
              throw crash;
            },
          },
        ),
      ).rejects.toBe(crash);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(idsOf('tasks').has('SMnotice1')).toBe(false);

      await applyBatch(client, { schema: SCHEMA, model: tasksReadModel, events: log.events, expected: null });
      await expect.poll(() => idsOf('tasks').has('SMnotice1')).toBe(true);
      expect(notices.at(-1)).toEqual({ schema: SCHEMA, model: 'tasks', ids: { tasks: ['SMnotice1'] } });
    } finally {
      client.release();
      // That fake log's checkpoint is not the store's: the projectors below start from scratch.
      await db.pool.query(`DELETE FROM ${SCHEMA}.tasks; DELETE FROM ${SCHEMA}.projection_checkpoints`);
    }
  });

  it('live projectors announce every changed task and every failed one, each payload under the 8000-byte limit', async () => {
    const projectors = startProjectors({
      store,
      databaseUrl: db.url,
      only: ['tasks', 'error_logs'],
      tuning: { retryDelayMs: 50, lockPollMs: 100 },
    });
    try {
      const ops = generateWorkload({ seed: 7, users: 20, tasks: 400, days: 2, broadcasts: 0 });
      await appendWorkload(store, ops, { concurrency: 8 });
      const counts = handledCounts(ops);
      await untilProcessed(db.pool, { tasks: counts.tasks ?? 0, error_logs: counts.error_logs ?? 0 });
      const tasks = await rows<{ message_sid: string; status: string; failures: number }>(
        db.pool,
        `SELECT message_sid, status, failures FROM ${SCHEMA}.tasks`,
      );
      await expect.poll(() => tasks.every((t) => idsOf('tasks', 'tasks').has(t.message_sid))).toBe(true);
      const failed = tasks.filter((t) => t.status === 'failed');
      expect(failed.length).toBeGreaterThan(0);
      for (const t of failed) expect(idsOf('failures', 'tasks').has(t.message_sid)).toBe(true);
      const errorSids = await rows<{ task_message_sid: string }>(
        db.pool,
        `SELECT DISTINCT task_message_sid FROM ${SCHEMA}.error_logs`,
      );
      for (const e of errorSids) expect(idsOf('failures', 'error_logs').has(e.task_message_sid)).toBe(true);
      expect(Math.max(...payloadSizes)).toBeLessThan(8000);
    } finally {
      await projectors.stop();
    }
  });

  it('a big batch is split into payloads that each fit', () => {
    const collector = new ChangeCollector();
    const sids = Array.from({ length: 2000 }, (_, i) => `SM${String(i).padStart(32, '0')}`);
    collector.add({ tasks: sids, failures: sids.slice(0, 300) });
    const payloads = collector.payloads(SCHEMA, 'tasks');
    expect(payloads.length).toBeGreaterThan(5);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    const parsed = payloads.map((p) => JSON.parse(p) as { ids: { tasks?: string[]; failures?: string[] } });
    expect(parsed.flatMap((p) => p.ids.tasks ?? [])).toEqual(sids);
    expect(parsed.flatMap((p) => p.ids.failures ?? [])).toEqual(sids.slice(0, 300));
  });

  it('a rebuild replays without announcing rows: one `rebuilt` notice per model at the swap; its progress is recorded as it goes', async () => {
    notices.length = 0;
    const seen: number[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const progress = await readRebuildProgress(db.pool, SCHEMA).catch(() => new Map());
        const tasks = progress.get('tasks')?.latest;
        if (tasks?.state === 'rebuilding') seen.push(tasks.eventsReplayed);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const result = await rebuildReadModels({
      databaseUrl: db.url,
      store,
      only: ['tasks', 'error_logs'],
      batchSize: 50,
      requestedBy: 'test',
    });
    watching = false;
    await watcher;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(notices).toEqual(
      expect.arrayContaining([
        { schema: SCHEMA, model: 'tasks', rebuilt: true },
        { schema: SCHEMA, model: 'error_logs', rebuilt: true },
      ]),
    );
    expect(notices).toHaveLength(2);

    // Progress went up page by page and the finished row survived the swap
    expect(seen.some((n) => n > 0 && n < (result.events.tasks ?? 0))).toBe(true);
    const progress = await readRebuildProgress(db.pool, SCHEMA);
    expect(progress.get('tasks')?.latest).toMatchObject({
      rebuildId: result.rebuildId,
      state: 'succeeded',
      eventsReplayed: result.events.tasks,
      eventsTotal: result.events.tasks,
      startedBy: 'test',
      finishedAt: expect.any(String),
      error: null,
    });
    expect(progress.get('error_logs')?.latest.eventsReplayed).toBe(result.events.error_logs);
    expect(progress.has('users')).toBe(false);
  });

  it('a failed rebuild leaves its rows failed with the error', async () => {
    const result = rebuildReadModels({
      databaseUrl: db.url,
      store,
      only: ['tasks'],
      requestedBy: 'test',
      beforeCommit: async () => {
        throw new Error('swap refused');
      },
    });
    await expect(result).rejects.toThrow('swap refused');
    const progress = await readRebuildProgress(db.pool, SCHEMA);
    expect(progress.get('tasks')?.latest).toMatchObject({ state: 'failed', error: 'swap refused' });
    expect(progress.get('tasks')?.lastFinished?.state).toBe('failed');
  });
});
