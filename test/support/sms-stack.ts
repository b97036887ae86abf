import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { buildApp } from '../../api/app.js';
import { buildActivityDeps, createSmsWorker } from '../../cli/roles/worker.js';
import { createEventStore, migrateEventStore } from '../../eventstore/index.js';
import type { EventStore, RecordedEvent } from '../../eventstore/port.js';
import { type Config, loadConfig } from '../../infra/config.js';
import { createPool, type Pool } from '../../infra/db.js';
import { createLogger } from '../../infra/logger.js';
import { installTemporalRuntime } from '../../infra/temporal-runtime.js';
import type { smsTask } from '../../workflows/sms-task.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { createTestDatabase, uniqueTaskQueue } from './database.js';

export const ACCOUNT_SID = `AC${'0'.repeat(31)}1`;
export const AUTH_TOKEN = 'test-auth-token-0123456789';
export const OUR_NUMBER = '+15005550006';

/**
 * The whole SMS pipeline on real parts: a fresh database on the run's PostgreSQL, the run's
 * Temporal server with a task queue of its own, the worker, the API listening on a real port,
 * and the Twilio and OpenAI fakes the real SDKs talk to.
 */
export interface SmsStack {
  config: Config;
  store: EventStore;
  pool: Pool;
  twilio: FakeTwilio;
  openai: FakeOpenAI;
  client: Client;
  app: FastifyInstance;
  apiUrl: string;
  worker: { start(): Promise<void>; stop(): Promise<void> };
  /** POSTs a correctly signed Twilio inbound-SMS webhook. */
  sendSms(sms: { from: string; body: string; sid?: string }): Promise<{ status: number; body: string; sid: string }>;
  handle(sid: string): WorkflowHandle<typeof smsTask>;
  events(stream: string): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

let sidCounter = 0;
export const newSid = () =>
  `SM${Date.now().toString(16)}${(sidCounter++).toString(16).padStart(6, '0')}${Math.random().toString(16).slice(2, 12)}`
    .padEnd(34, '0')
    .slice(0, 34);

export async function startSmsStack(env: Record<string, string> = {}): Promise<SmsStack> {
  const db = await createTestDatabase('sms');
  const [fakeTwilio, fakeOpenAI] = await Promise.all([
    startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }),
    startFakeOpenAI(),
  ]);
  const taskQueue = uniqueTaskQueue('sms');
  // The API's port must be known before the config (PUBLIC_URL); listen first on port 0, then reuse.
  const baseEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: OUR_NUMBER,
    TWILIO_API_BASE_URL: fakeTwilio.baseUrl,
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: fakeOpenAI.baseUrl,
    ADMIN_API_TOKEN: 'test-admin-token-0123456789',
    ...env,
  };
  const logger = createLogger({ level: baseEnv.LOG_LEVEL });
  await migrateEventStore({ url: db.url });
  const store = createEventStore({ url: db.url });
  const pool = createPool(db.url, { max: 5 });
  const connection = await Connection.connect({ address: baseEnv.TEMPORAL_ADDRESS });
  const client = new Client({ connection });

  // PUBLIC_URL must match the address Twilio (the fake) calls, so the API listens first.
  let config = loadConfig(baseEnv, '/nonexistent');
  const app = await buildApp({ config, logger, pool, temporal: client, store });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  config = loadConfig({ ...baseEnv, PUBLIC_URL: address }, '/nonexistent');
  // Rebuild with the final PUBLIC_URL (signature checks and status callbacks use it).
  await app.close();
  const finalApp = await buildApp({ config, logger, pool, temporal: client, store });
  await finalApp.listen({ host: '127.0.0.1', port: Number(new URL(address).port) });

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  const workerControl = {
    async start() {
      installTemporalRuntime(logger);
      nativeConnection = await NativeConnection.connect({ address: baseEnv.TEMPORAL_ADDRESS });
      worker = await createSmsWorker({
        connection: nativeConnection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue,
        deps: buildActivityDeps(config, logger, store),
        workflowBundle: { codePath: inject('workflowBundlePath') },
        maxConcurrentActivities: 200,
      });
      running = worker.run();
    },
    async stop() {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      // Idempotent: close() stops the worker again after a test already stopped it.
      await nativeConnection?.close();
      nativeConnection = undefined;
      worker = undefined;
    },
  };
  await workerControl.start();

  return {
    config,
    store,
    pool,
    twilio: fakeTwilio,
    openai: fakeOpenAI,
    client,
    app: finalApp,
    apiUrl: address,
    worker: workerControl,
    async sendSms({ from, body, sid = newSid() }) {
      const params = {
        MessageSid: sid,
        AccountSid: ACCOUNT_SID,
        From: from,
        To: OUR_NUMBER,
        Body: body,
        NumMedia: '0',
      };
      const url = `${address}/sms/receive`;
      const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
      });
      return { status: response.status, body: await response.text(), sid };
    },
    handle: (sid) => client.workflow.getHandle<typeof smsTask>(`sms-${sid}`),
    async events(stream) {
      try {
        return await store.readStream(stream);
      } catch {
        return [];
      }
    },
    async close() {
      await workerControl.stop();
      await finalApp.close();
      await connection.close();
      await store.close();
      await pool.end();
      await fakeTwilio.close();
      await fakeOpenAI.close();
      await db.drop();
    },
  };
}

/**
 * Starts one stack for the enclosing describe block (beforeAll), closes it afterwards and resets
 * the fakes before each test. The returned object forwards to the running stack.
 */
export function useSmsStack(env: Record<string, string> = {}): SmsStack {
  let current: SmsStack | undefined;
  beforeAll(async () => {
    current = await startSmsStack(env);
  });
  afterAll(() => current?.close());
  beforeEach(() => {
    current?.twilio.reset();
    current?.openai.reset();
  });
  return new Proxy({} as SmsStack, {
    get(_target, key) {
      if (!current) throw new Error('the SMS stack is not started yet (use it inside a test or hook)');
      return current[key as keyof SmsStack];
    },
  });
}
