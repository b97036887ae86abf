import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { projectionsCaughtUp } from '../../bench/support/projection-lag.js';
import { diffReadModels } from '../../bench/support/read-model-diff.js';
import { ReplyTracker } from '../../bench/support/replies.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  inboundForm,
  messageSid,
  OUR_NUMBER,
  phoneNumber,
  signedForm,
} from '../../bench/support/twilio-webhook.js';
import { createEventStore } from '../../eventstore/index.js';
import type { EventStore } from '../../eventstore/port.js';
import { createPool, type Pool } from '../../infra/db.js';
import { freePort, isPortOpen } from '../../infra/ports.js';
import { rebuildReadModels } from '../../projections/runtime/rebuild.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import { type FakeOpenAI, type RecordedRequest, startFakeOpenAI } from '../fakes/openai.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { appendWorkload, coalesceByStream, generateWorkload } from '../projections/support/workload.js';
import { createTestDatabase, uniqueTaskQueue } from '../support/database.js';
import { type Spawned, spawnCli } from '../support/processes.js';
import { PAYLOAD_KEYS } from '../support/sms-stack.js';

/**
 * SIGTERM in each role, on real processes (`sms-agent <role>`, as tini hands it on in the image):
 * the API drains the requests in flight, the worker lets a running activity finish within its
 * grace, the projector commits the batch in flight with its checkpoint. Each exits 0.
 */
const PUBLIC_URL = 'http://sms.shutdown.test';

describe('graceful shutdown on SIGTERM', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let twilio: FakeTwilio;
  let openai: FakeOpenAI;
  let pool: Pool;
  let store: EventStore;
  let env: Record<string, string>;
  const running: Spawned[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('shutdown');
    twilio = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    openai = await startFakeOpenAI();
    env = {
      SMS_AGENT_RUNTIME: 'source',
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('shutdown'),
      TEMPORAL_PAYLOAD_KEYS: PAYLOAD_KEYS,
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: OUR_NUMBER,
      TWILIO_API_BASE_URL: twilio.baseUrl,
      OPENAI_BASE_URL: openai.baseUrl,
      OPENAI_API_KEY: 'test-key',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      // The webhook's append waits on a lock this test holds for a few seconds.
      EVENTSTORE_APPEND_TIMEOUT_MS: '30000',
    };
    const migrate = spawnCli(['migrate'], env);
    expect((await migrate.exit).code, migrate.output()).toBe(0);
    pool = createPool(db.url);
    store = createEventStore({ url: db.url });
  }, 120_000);

  afterEach(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(running.splice(0).map((p) => p.exit));
    openai.reset();
  });

  afterAll(async () => {
    await store?.close();
    await pool?.end();
    await twilio?.close();
    await openai?.close();
    await db?.drop();
  });

  const start = (role: string, extra: Record<string, string> = {}) => {
    const p = spawnCli([role], { ...env, ...extra });
    running.push(p);
    return p;
  };

  async function startApi(extra: Record<string, string> = {}) {
    const port = await freePort();
    const p = start('api', { PORT: String(port), ...extra });
    await p.waitFor('Server listening', 120_000);
    return { p, port, url: `http://127.0.0.1:${port}` };
  }

  function postSms(apiUrl: string, i: number) {
    const sid = messageSid(2, i);
    const form = signedForm(`${PUBLIC_URL}/sms/receive`, inboundForm({ sid, from: phoneNumber(i), body: `q ${i}` }));
    const response = fetch(`${apiUrl}/sms/receive`, { method: 'POST', headers: form.headers, body: form.body });
    return { sid, response };
  }

  const lastUserText = (r: RecordedRequest) => r.messages.findLast((m) => m.role === 'user')?.content;
  /** The AI calls made for the SMS whose text is `body`. */
  const callsFor = (body: string) => openai.requests.filter((r) => lastUserText(r) === body);

  const errorLines = (output: string) => output.split('\n').filter((line) => /"level":(50|60)/.test(line));

  it('the API stops taking connections and answers the request in flight before it exits', async () => {
    const api = await startApi();
    // Hold the event store's tables so the webhook's append waits (reads still pass).
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE events IN EXCLUSIVE MODE');
    try {
      const inFlight = postSms(api.url, 1);
      await until('the append waits on the lock', async () => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        );
        return (rows[0]?.n ?? 0) > 0;
      });
      api.p.child.kill('SIGTERM');
      await api.p.waitFor('SIGTERM: stopping', 10_000);
      // New connections are refused while the one in flight is still being served.
      await until('the listener is closed', async () => !(await isPortOpen(api.port)));
      expect(api.p.child.exitCode, 'still draining').toBeNull();
      await sleep(1_000);
      await blocker.query('COMMIT');
      const response = await inFlight.response;
      expect(response.status).toBe(200);
      const answeredAt = Date.now();
      const exit = await api.p.exit;
      expect(exit.code, api.p.output().slice(-3000)).toBe(0);
      // Promptly: the client's keep-alive connection is closed once idle, not left to its 72 s timeout.
      expect(Date.now() - answeredAt).toBeLessThan(10_000);
      expect(api.p.output()).toContain('stopped cleanly');
      expect(errorLines(api.p.output())).toEqual([]);
      const events = await store.readStream(`sms-${inFlight.sid}`);
      expect(events.map((e) => e.type)).toContain('SmsReceived');
    } finally {
      await blocker.end().catch(() => {});
    }
  }, 180_000);

  it('the worker lets a running AI call finish within its grace and send its answer, so the call is not paid for twice', async () => {
    openai.knobs.latencyMs = 4_000; // under the worker's 10 s shutdownGraceTime
    // A task queue of its own: the SMS the API test left waiting must not reach these workers.
    const queue = { TEMPORAL_TASK_QUEUE: uniqueTaskQueue('shutdown-worker') };
    const api = await startApi(queue);
    const workerA = start('worker', queue);
    await workerA.waitFor('"state":"RUNNING"', 120_000);
    const { sid, response } = postSms(api.url, 2);
    expect((await response).status).toBe(200);
    // The server says the AI activity is running on the worker (the fake records a call only once answered).
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const handle = new Client({ connection }).workflow.getHandle(`sms-${sid}`);
      await until(
        "the task's activity (its AI call) is in flight",
        async () => {
          const { raw } = await handle.describe().catch(() => ({ raw: { pendingActivities: [] } }));
          return (raw.pendingActivities ?? []).some(
            (a) =>
              a.activityType?.name === 'processSms' &&
              a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
          );
        },
        60_000,
      );
    } finally {
      await connection.close();
    }
    expect(callsFor('q 2')).toHaveLength(0);
    const signalledAt = Date.now();
    workerA.child.kill('SIGTERM');
    const exit = await workerA.exit;
    const tookMs = Date.now() - signalledAt;
    expect(exit.code, workerA.output().slice(-3000)).toBe(0);
    expect(workerA.output()).toContain('"state":"DRAINING"');
    expect(workerA.output()).toContain('stopped cleanly');
    // It waited for the call (about 4 s), not the whole grace and not at all.
    expect(tookMs, workerA.output().slice(-6000)).toBeGreaterThan(1_000);
    expect(tookMs).toBeLessThan(30_000);
    // The activity sends its own answer (workflow version 2): the reply went out before the stop ended.
    const afterStop = await store.readStream(`sms-${sid}`);
    expect(afterStop.map((e) => e.type)).toEqual(expect.arrayContaining(['AiResponseGenerated', 'ReplySent']));

    // Another worker completes the task from there: still one reply and one AI call.
    const workerB = start('worker', queue);
    const done = await Connection.connect({ address: inject('temporalAddress') });
    try {
      // (Its result is encrypted: the run's status says it ended.)
      const handle = new Client({ connection: done }).workflow.getHandle(`sms-${sid}`);
      await until('the task completed', async () => (await handle.describe()).status.name === 'COMPLETED', 90_000);
    } finally {
      await done.close();
    }
    const tracker = new ReplyTracker(twilio);
    expect(await tracker.waitFor([sid], 90_000)).toBe(1);
    expect(tracker.count(sid)).toBe(1);
    // Count this SMS's calls only: the SMS the first test's API accepted while stopping may not have
    // been started by it (on a loaded machine it exits first), and then this test's API starts it,
    // on this test's queue, so these workers answer it too (a second call in two CI runs).
    const calls = openai.requests.map((r) => `${r.model} ${r.status} ${JSON.stringify(lastUserText(r))}`).join(', ');
    const logs = `calls: ${calls}\nworker A:\n${workerA.output().slice(-4000)}\nworker B:\n${workerB.output().slice(-4000)}`;
    expect(callsFor('q 2').length, logs).toBe(1);
    workerB.child.kill('SIGTERM');
    expect((await workerB.exit).code).toBe(0);
    api.p.child.kill('SIGTERM');
    expect((await api.p.exit).code).toBe(0);
  }, 240_000);

  it('the projector commits the batch in flight with its checkpoint, and resumes from it', async () => {
    await appendWorkload(
      store,
      coalesceByStream(generateWorkload({ seed: 7, users: 300, tasks: 3_000, days: 3 }), 50),
      {
        concurrency: 8,
      },
    );
    const projector = start('projector');
    // A batch transaction is open (the projector's pool), and what the checkpoints say committed then.
    await until(
      'a batch is being applied',
      async () => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
           AND application_name = 'sms-agent-projector' AND xact_start IS NOT NULL AND state <> 'idle'`,
        );
        return (rows[0]?.n ?? 0) > 0;
      },
      120_000,
    );
    const before = await checkpoints();
    projector.child.kill('SIGTERM');
    const exit = await projector.exit;
    expect(exit.code, projector.output().slice(-3000)).toBe(0);
    expect(projector.output()).toContain('stopped cleanly');
    expect(errorLines(projector.output())).toEqual([]);
    const after = await checkpoints();
    const advanced = [...after].filter(([name, checkpoint]) => checkpoint !== before.get(name));
    expect(advanced.length, 'the batch in flight at SIGTERM was committed').toBeGreaterThan(0);
    // No transaction left behind: the next projector resumes from the stored checkpoints.
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
       AND application_name = 'sms-agent-projector'`,
    );
    expect(rows[0]?.n).toBe(0);
    const next = start('projector');
    await until('caught up', () => projectionsCaughtUp(store, pool), 120_000);
    next.child.kill('SIGTERM');
    expect((await next.exit).code).toBe(0);
    const rebuild = await rebuildReadModels({ databaseUrl: db.url, store, keepOldSchema: true });
    const diffs = await diffReadModels(pool, rebuild.replacedSchema, READ_MODEL_SCHEMA);
    expect(diffs.filter((d) => d.differing > 0 || d.rowsA !== d.rowsB)).toEqual([]);
  }, 240_000);

  async function checkpoints(): Promise<Map<string, string | null>> {
    const { rows } = await pool.query<{ name: string; checkpoint: string | null }>(
      `SELECT name, checkpoint::text AS checkpoint FROM ${READ_MODEL_SCHEMA}.projection_checkpoints`,
    );
    return new Map(rows.map((r) => [r.name, r.checkpoint]));
  }
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}
