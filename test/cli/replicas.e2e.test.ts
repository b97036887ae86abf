import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventsInvariants, repliesInvariant, taskTerminals } from '../../bench/support/invariants.js';
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
import { freePort } from '../../infra/ports.js';
import { READ_MODELS } from '../../projections/registry.js';
import { rebuildReadModels } from '../../projections/runtime/rebuild.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { createTestDatabase, uniqueTaskQueue } from '../support/database.js';
import { type Spawned, spawnCli } from '../support/processes.js';
import { PAYLOAD_KEYS } from '../support/sms-stack.js';

/**
 * The production shape on processes instead of containers: 2 API processes, 2 workers and 2
 * projectors (the roles as `sms-agent <role>` runs them, from the sources) on one PostgreSQL
 * database and one Temporal server. SMS go to both APIs (as the proxy spreads them); one of each
 * role is SIGKILLed half way. Every SMS must get exactly one reply, the standby inbox starter and
 * the standby projector must take over, and the read models must equal a rebuild from the log.
 *
 * REPLICAS_SMS=400 makes it a longer soak of the same shape (default 40, about 2 minutes here).
 */
const SMS = Number(process.env.REPLICAS_SMS ?? 40);
/** Public URL both APIs sign against, as behind the proxy (PUBLIC_URL is the same on every replica). */
const PUBLIC_URL = 'http://sms.replicas.test';

describe('every role as two replicas, one of each SIGKILLed', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let twilio: FakeTwilio;
  let openai: FakeOpenAI;
  let pool: Pool;
  let store: EventStore;
  let env: Record<string, string>;
  const running: Spawned[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('replicas');
    twilio = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    openai = await startFakeOpenAI();
    // Slow answers, so the killed worker has AI calls in flight (they heartbeat: retried on the
    // other worker after the 20 s heartbeat timeout).
    openai.knobs.latencyMs = 400;
    env = {
      SMS_AGENT_RUNTIME: 'source',
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('replicas'),
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
    };
    const migrate = spawnCli(['migrate'], env);
    expect((await migrate.exit).code, migrate.output()).toBe(0);
    pool = createPool(db.url);
    store = createEventStore({ url: db.url });
  }, 120_000);

  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exit));
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

  async function startApi() {
    const port = await freePort();
    const p = start('api', { PORT: String(port) });
    await p.waitFor('Server listening', 120_000);
    return { p, url: `http://127.0.0.1:${port}` };
  }

  /** Advisory locks held in this database by projector lock sessions (one per read model when one is active). */
  async function projectorLocks(): Promise<number> {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
       WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()
         AND a.application_name LIKE 'sms-agent lock sms-agent projection%'`,
    );
    return rows[0]?.n ?? 0;
  }

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await sleep(200);
    }
  }

  async function sendSms(apiUrl: string, i: number) {
    const sid = messageSid(1, i);
    const form = signedForm(
      `${PUBLIC_URL}/sms/receive`,
      inboundForm({ sid, from: phoneNumber(i), body: `question ${i}: what is 2+${i}?` }),
    );
    const response = await fetch(`${apiUrl}/sms/receive`, { method: 'POST', headers: form.headers, body: form.body });
    expect(response.status, `SMS ${i} to ${apiUrl}: ${await response.text()}`).toBe(200);
    return sid;
  }

  it(`answers ${SMS} SMS exactly once while an api, a worker and a projector die, and the read models equal a rebuild`, async () => {
    // The first of each pair starts alone, so it is the one holding the locks when it is killed.
    const [apiA, workerA, workerB] = await Promise.all([startApi(), start('worker'), start('worker')]);
    const projectorA = start('projector');
    await apiA.p.waitFor('SMS inbox starter active', 60_000);
    await until('projector A holds every read model', async () => (await projectorLocks()) === READ_MODELS.length);
    const apiB = await startApi();
    const projectorB = start('projector');
    await apiB.p.waitFor('another SMS inbox starter holds the lock; standing by', 60_000);
    await projectorB.waitFor('another projector holds the lock; standing by', 60_000);
    for (const w of [workerA, workerB]) await w.waitFor('"state":"RUNNING"', 120_000);

    const sids: string[] = [];
    const killAt = Math.floor(SMS / 2);
    // Both APIs take SMS, a few at a time, as the proxy would spread them.
    for (let i = 0; i < killAt; i += 4) {
      const batch = Array.from({ length: Math.min(4, killAt - i) }, (_, k) => i + k);
      sids.push(...(await Promise.all(batch.map((n) => sendSms(n % 2 ? apiB.url : apiA.url, n)))));
    }
    // Work is in flight at the kill: the last SMS cannot have been answered yet (the AI alone takes 400 ms).
    const tracker = new ReplyTracker(twilio);
    expect(tracker.answered(sids)).toBeLessThan(sids.length);
    // One of each role, mid-flight: the API whose inbox starter is active, a worker with AI calls
    // in flight, the projector holding the read models' locks.
    for (const p of [apiA.p, workerA, projectorA]) p.child.kill('SIGKILL');
    await Promise.all([apiA.p.exit, workerA.exit, projectorA.exit]);
    // The proxy now finds only the other API.
    for (let i = killAt; i < SMS; i += 4) {
      const batch = Array.from({ length: Math.min(4, SMS - i) }, (_, k) => i + k);
      sids.push(...(await Promise.all(batch.map((n) => sendSms(apiB.url, n)))));
    }

    await apiB.p.waitFor(/"msg":"SMS inbox starter active"/, 60_000);
    await until('projector B took the read models over', async () => (await projectorLocks()) === READ_MODELS.length);

    const answered = await tracker.waitFor(sids, 150_000);
    expect(answered, `replies: ${answered}/${sids.length}`).toBe(sids.length);
    // Late duplicates (a retried send from the dead worker) would arrive after the first reply.
    await sleep(3_000);
    const replies = repliesInvariant(tracker, sids);
    expect(replies.pass, replies.detail).toBe(true);
    const terminals = await taskTerminals(pool, sids);
    expect(terminals.completed, JSON.stringify(terminals)).toBe(sids.length);
    for (const invariant of await eventsInvariants(pool, sids)) expect(invariant.pass, invariant.detail).toBe(true);

    // The standby projector applied everything, including what arrived after its twin died.
    await until('read models caught up', () => projectionsCaughtUp(store, pool), 60_000);
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${READ_MODEL_SCHEMA}.tasks WHERE message_sid = ANY($1)`,
      [sids],
    );
    expect(rows[0]?.n).toBe(sids.length);

    // Graceful stop of the survivors (exit 0), then a rebuild from the log equals the live tables.
    for (const p of [apiB.p, workerB, projectorB]) p.child.kill('SIGTERM');
    for (const p of [apiB.p, workerB, projectorB]) expect((await p.exit).code, p.output().slice(-2000)).toBe(0);
    const rebuild = await rebuildReadModels({ databaseUrl: db.url, store, keepOldSchema: true });
    const diffs = await diffReadModels(pool, rebuild.replacedSchema, READ_MODEL_SCHEMA);
    expect(diffs.filter((d) => d.differing > 0 || d.rowsA !== d.rowsB)).toEqual([]);
    expect(diffs.find((d) => d.table === 'tasks')?.rowsA).toBeGreaterThanOrEqual(sids.length);
  }, 330_000);
});
