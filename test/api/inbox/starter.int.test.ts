import { randomBytes } from 'node:crypto';
import { getEventListeners, setMaxListeners } from 'node:events';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordSmsReceived } from '../../../activities/sms-received.js';
import {
  migrateInbox,
  peekInboxCheckpoint,
  readInboxCheckpoint,
  saveInboxCheckpoint,
} from '../../../api/inbox/checkpoint.js';
import { startSmsTask, TEMPORAL_RECONNECT_ARGS } from '../../../api/inbox/start-task.js';
import { InboxStarter, type InboxStarterOptions, SMS_INBOX } from '../../../api/inbox/starter.js';
import { createEventStore, type EventStore, migrateEventStore } from '../../../eventstore/index.js';
import { createPool, type Pool } from '../../../infra/db.js';
import { createTestDatabase, uniqueTaskQueue } from '../../support/database.js';
import { type TcpProxy, tcpProxy } from '../../support/tcp-proxy.js';
import { eventually, nextPhone } from '../../workflows/helpers.js';

/**
 * The inbox starter on its own: real PostgreSQL and the run's Temporal server. No worker polls
 * this file's task queue, so a started workflow simply exists (running) until afterAll ends it.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let store: EventStore;
let pool: Pool;
let connection: Connection;
let temporal: Client;
const taskQueue = uniqueTaskQueue('inbox');
const running: InboxStarter[] = [];
const proxies: TcpProxy[] = [];
const fast = { lockPollMs: 100, retryDelayMs: 50, maxRetryDelayMs: 500, startTimeoutMs: 3_000 };

beforeAll(async () => {
  db = await createTestDatabase('inbox');
  await migrateEventStore({ url: db.url });
  await migrateInbox(db.url);
  store = createEventStore({ url: db.url });
  pool = createPool(db.url, { max: 4 });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  for await (const w of temporal.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` }))
    await temporal.workflow.getHandle(w.workflowId).terminate('test done');
  await connection?.close();
  await store?.close();
  await pool?.end();
  await db?.drop();
});

function starter(options: Partial<InboxStarterOptions> = {}) {
  const s = new InboxStarter({ store, pool, databaseUrl: db.url, temporal, taskQueue, ...fast, ...options });
  running.push(s);
  s.start();
  return s;
}

/** Accepts SMS as the webhook does: SmsReceived in the log, nothing else. */
async function accept(count: number): Promise<string[]> {
  const sids = Array.from({ length: count }, () => `SM${randomBytes(16).toString('hex')}`);
  for (const messageSid of sids) {
    const now = new Date();
    await recordSmsReceived(
      store,
      {
        messageSid,
        from: nextPhone(),
        to: '+15005550006',
        body: 'What is the capital of France?',
        numMedia: 0,
        provider: 'twilio',
        receivedAt: now.toISOString(),
      },
      now,
    );
  }
  return sids;
}

async function exists(sid: string): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(`sms-${sid}`).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

const allExist = async (sids: string[]) => (await Promise.all(sids.map(exists))).every(Boolean);
const noneExists = async (sids: string[]) => !(await Promise.all(sids.map(exists))).some(Boolean);
const lastPosition = async () => (await store.readAll({ direction: 'backwards', maxCount: 1 }))[0]?.position;

describe('SMS inbox starter', () => {
  it('given SmsReceived events and no checkpoint, starts a workflow for every one; restarted from its checkpoint, starts only the new ones', async () => {
    // Given: accepted before any starter ran (first start: from the beginning of the log)
    const before = await accept(5);

    // When
    const first = starter();
    await eventually(
      async () => first.stats().accepted,
      (n) => n === 5,
      30_000,
    );

    // Then
    expect(await allExist(before)).toBe(true);
    await first.stop();
    expect(first.stats()).toMatchObject({ state: 'stopped', accepted: 5, alreadyStarted: 0, startErrors: 0 });
    expect(await peekInboxCheckpoint(pool, SMS_INBOX)).toMatchObject({ checkpoint: await lastPosition(), started: 5 });

    // When: more arrive while none runs, and a new instance resumes from the checkpoint
    const after = await accept(3);
    const second = starter();
    await eventually(
      async () => second.stats().accepted,
      (n) => n === 3,
      30_000,
    );

    // Then: events come in log order, so a re-start of the older five would have been counted first
    expect(await allExist(after)).toBe(true);
    expect(second.stats()).toMatchObject({ accepted: 3, alreadyStarted: 0, startErrors: 0 });
    // Saved as soon as no SMS waits.
    const head = await lastPosition();
    await eventually(
      async () => peekInboxCheckpoint(pool, SMS_INBOX),
      (c) => c?.checkpoint === head,
      5_000,
    );
    expect(await peekInboxCheckpoint(pool, SMS_INBOX)).toMatchObject({ checkpoint: head, started: 8 });
  });

  it('given two starters on one database, one starts workflows while the other stands by, and it takes over when the first stops', async () => {
    // Given
    const first = starter();
    await eventually(
      async () => first.stats().state,
      (s) => s === 'active',
      10_000,
    );
    const second = starter();
    await eventually(
      async () => second.stats().state,
      (s) => s === 'standby',
      10_000,
    );

    // When
    const early = await accept(2);

    // Then
    await eventually(async () => allExist(early), Boolean, 30_000);
    await eventually(
      async () => first.stats().accepted,
      (n) => n === 2,
      10_000,
    );
    expect(second.stats()).toMatchObject({ state: 'standby', accepted: 0 });

    // When: the active one goes away
    await first.stop();
    await eventually(
      async () => second.stats().state,
      (s) => s === 'active',
      10_000,
    );
    const late = await accept(2);

    // Then
    await eventually(async () => allExist(late), Boolean, 30_000);
    await eventually(
      async () => second.stats().accepted,
      (n) => n === 2,
      10_000,
    );
    expect(second.stats()).toMatchObject({ alreadyStarted: 0 });
  });

  it('given Temporal unreachable, keeps every SmsReceived after its checkpoint and retries; once Temporal answers, starts them all', async () => {
    // Given: a client whose Temporal is a closed port (the same port is opened later)
    const proxy = await tcpProxy(inject('temporalAddress'));
    proxies.push(proxy);
    const lazy = Connection.lazy({
      address: proxy.address,
      channelArgs: TEMPORAL_RECONNECT_ARGS,
      connectTimeout: 1_000,
    });
    const unreachable = new Client({ connection: lazy });
    const checkpointBefore = (await peekInboxCheckpoint(pool, SMS_INBOX))?.checkpoint ?? null;
    const s = starter({ temporal: unreachable });
    await eventually(
      async () => s.stats().state,
      (state) => state === 'active',
      10_000,
    );

    // When
    const sids = await accept(3);

    // Then: it keeps trying, and nothing moves past the events it could not start
    await eventually(
      async () => s.stats().startErrors,
      (n) => n >= 3,
      30_000,
    );
    expect(s.stats()).toMatchObject({ state: 'active', accepted: 0, checkpoint: checkpointBefore });
    expect(s.stats().lastError).toBeTruthy();
    expect(await noneExists(sids)).toBe(true);
    expect((await peekInboxCheckpoint(pool, SMS_INBOX))?.checkpoint).toBe(checkpointBefore);

    // When: Temporal is reachable again
    await proxy.open();

    // Then
    await eventually(async () => allExist(sids), Boolean, 60_000);
    await eventually(
      async () => s.stats().accepted,
      (n) => n === 3,
      10_000,
    );
    expect(s.stats()).toMatchObject({ state: 'active', lastError: null });
    const head = await lastPosition();
    await eventually(
      async () => (await peekInboxCheckpoint(pool, SMS_INBOX))?.checkpoint,
      (c) => c === head,
      5_000,
    );
    await s.stop();
    await lazy.close();
  });

  it('given a database from before the inbox (SMS started by the webhook), migrate starts the inbox at the head: only later SMS are started', async () => {
    // Given: a log with SMS the old webhook already started itself, and no inbox row yet
    const other = await createTestDatabase('inbox_upgrade');
    const oldStore = createEventStore({ url: other.url });
    const oldPool = createPool(other.url, { max: 2 });
    try {
      await migrateEventStore({ url: other.url });
      const old = [`SM${randomBytes(16).toString('hex')}`];
      const now = new Date();
      const input = (messageSid: string) => ({
        messageSid,
        from: nextPhone(),
        to: '+15005550006',
        body: 'Old question',
        numMedia: 0,
        provider: 'twilio' as const,
        receivedAt: now.toISOString(),
      });
      await recordSmsReceived(oldStore, input(old[0]!), now);

      // When: `sms-agent migrate` (migrateAll) creates the inbox at the log's head, then one more SMS arrives
      // The head the store shows lies below every transaction open in the cluster (another test
      // file's may hide the append for a moment): wait until it is there.
      const head = await eventually(
        () => oldStore.headCheckpoint(),
        (h) => h !== undefined,
        10_000,
      );
      expect(head).toBeDefined();
      await migrateInbox(other.url, { [SMS_INBOX]: head! });
      await migrateInbox(other.url, { [SMS_INBOX]: 'ignored: the row exists' });
      const fresh = `SM${randomBytes(16).toString('hex')}`;
      await recordSmsReceived(oldStore, input(fresh), now);
      const s = new InboxStarter({
        store: oldStore,
        pool: oldPool,
        databaseUrl: other.url,
        temporal,
        taskQueue,
        ...fast,
      });
      running.push(s);
      s.start();

      // Then: the new SMS is started, the old one is not started again
      await eventually(
        async () => s.stats().accepted,
        (n) => n === 1,
        30_000,
      );
      expect(await exists(fresh)).toBe(true);
      expect(await noneExists(old)).toBe(true);
    } finally {
      await Promise.all(running.splice(0).map((r) => r.stop()));
      await oldStore.close();
      await oldPool.end();
      await other.drop();
    }
  });

  it('given one abort signal for the life of the process, 40 starts leave no listener on it, and aborting it still cancels a start in flight', async () => {
    // Given: the starter's situation, a signal that outlives every start
    const life = new AbortController();
    setMaxListeners(100, life.signal); // as the starter does: one listener per start in flight
    const input = (messageSid: string) => ({
      messageSid,
      from: nextPhone(),
      to: '+15005550006',
      body: 'Still there?',
      numMedia: 0,
      provider: 'twilio' as const,
      receivedAt: new Date().toISOString(),
      inLog: true,
    });

    // When
    const sids = Array.from({ length: 40 }, () => `SM${randomBytes(16).toString('hex')}`);
    const outcomes = await Promise.all(
      sids.map((sid) => startSmsTask(temporal, taskQueue, input(sid), { signal: life.signal, timeoutMs: 5_000 })),
    );

    // Then: every start was taken and none left a listener behind (the Temporal client adds one
    // per call on the signal it is given and never removes it)
    expect(outcomes).toEqual(sids.map(() => 'accepted'));
    expect(await allExist(sids)).toBe(true);
    expect(getEventListeners(life.signal, 'abort')).toHaveLength(0);

    // When: a start hangs on a Temporal that takes the connection and never answers, and the signal aborts
    const proxy = await tcpProxy(inject('temporalAddress'));
    proxies.push(proxy);
    await proxy.open();
    const lazy = Connection.lazy({ address: proxy.address, connectTimeout: 1_000 });
    const stalled = new Client({ connection: lazy });
    await stalled.workflowService.getSystemInfo({});
    proxy.stall();
    const hanging = startSmsTask(stalled, taskQueue, input(`SM${randomBytes(16).toString('hex')}`), {
      signal: life.signal,
      timeoutMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(getEventListeners(life.signal, 'abort')).toHaveLength(1);
    const abortedAt = Date.now();
    life.abort();

    // Then: it gives up at once, and lets go of the signal
    await expect(hanging).rejects.toThrow();
    expect(Date.now() - abortedAt).toBeLessThan(2_000);
    expect(getEventListeners(life.signal, 'abort')).toHaveLength(0);
    proxy.unstall();
    await lazy.close();
  });

  it('saves its checkpoint in one statement that commits without waiting for the WAL flush, and leaves the session as it was', async () => {
    // Given: a session that commits synchronously, and a checkpoint row
    const client = await pool.connect();
    try {
      await client.query('SET synchronous_commit = on');
      const name = `sync-${randomBytes(4).toString('hex')}`;
      await readInboxCheckpoint(client, name);
      const sent: { text: string; rows: unknown[] }[] = [];
      const recording = {
        query: async (config: { text: string; values?: unknown[] }) => {
          const result = await client.query(config);
          sent.push({ text: config.text, rows: result.rows });
          return result;
        },
      } as unknown as typeof client;

      // When
      await saveInboxCheckpoint(recording, name, null, '0/1', 2);

      // Then: one statement, which ran with synchronous_commit off; the session's own setting is unchanged
      expect(sent).toHaveLength(1);
      expect(sent[0]?.rows).toEqual([{ commit_mode: 'off' }]);
      expect((await client.query('SHOW synchronous_commit')).rows[0]).toEqual({ synchronous_commit: 'on' });
      expect(await peekInboxCheckpoint(client, name)).toMatchObject({ checkpoint: '0/1', started: 2 });
      // A stale expectation moves nothing.
      await expect(saveInboxCheckpoint(client, name, null, '0/2', 1)).rejects.toThrow(/no longer the start/);
    } finally {
      client.release();
    }
  });

  it('given SMS arriving faster than its batches, saves its checkpoint at most every saveEveryMs, and all of them once none waits', async () => {
    // Given: a pool that counts the checkpoint saves
    let saves = 0;
    const counting = new Proxy(pool, {
      get(target, key, receiver) {
        if (key !== 'query') return Reflect.get(target, key, receiver);
        return (config: unknown, ...rest: unknown[]) => {
          if ((config as { name?: string })?.name === 'inbox:save-checkpoint') saves++;
          return (target.query as (...a: unknown[]) => unknown).call(target, config, ...rest);
        };
      },
    });
    const startedBefore = (await peekInboxCheckpoint(pool, SMS_INBOX))?.started ?? 0;
    const s = starter({ pool: counting, concurrency: 2, saveEveryMs: 200 });
    await eventually(
      async () => s.stats().state,
      (state) => state === 'active',
      10_000,
    );
    const savesBefore = saves;

    // When: 60 SMS, started two at a time (30 batches or more)
    const began = Date.now();
    const sids = await accept(60);
    await eventually(
      async () => s.stats().accepted,
      (n) => n === 60,
      60_000,
    );
    const head = await lastPosition();
    await eventually(
      async () => (await peekInboxCheckpoint(pool, SMS_INBOX))?.checkpoint,
      (c) => c === head,
      5_000,
    );
    const took = Date.now() - began;

    // Then: every one started and counted, in far fewer saves than batches
    expect(await allExist(sids)).toBe(true);
    expect(await peekInboxCheckpoint(pool, SMS_INBOX)).toMatchObject({ started: startedBefore + 60 });
    const count = saves - savesBefore;
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThanOrEqual(Math.ceil(took / 200) + 2);
    expect(count).toBeLessThan(30);
  });
});
