import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { type AppDeps, buildApp } from '../../api/app.js';
import { migrateAuth } from '../../api/auth/migrate.js';
import { migrateInbox } from '../../api/inbox/checkpoint.js';
import { TEMPORAL_RECONNECT_ARGS } from '../../api/inbox/start-task.js';
import { newDevLinkToken } from '../../api/routes/dev-link.js';
import { buildActivityDeps, createSmsWorker } from '../../cli/roles/worker.js';
import { createEventStore, migrateEventStore } from '../../eventstore/index.js';
import type { EventStore, RecordedEvent } from '../../eventstore/port.js';
import { type Config, loadConfig } from '../../infra/config.js';
import { createPool, type Pool } from '../../infra/db.js';
import { createLogger } from '../../infra/logger.js';
import { temporalDataConverter } from '../../infra/temporal-data-converter.js';
import { installTemporalRuntime } from '../../infra/temporal-runtime.js';
import type { smsTask } from '../../workflows/sms-task.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { createTestDatabase, uniqueTaskQueue } from './database.js';

export const ACCOUNT_SID = `AC${'0'.repeat(31)}1`;
export const AUTH_TOKEN = 'test-auth-token-0123456789';
export const OUR_NUMBER = '+15005550006';
/** Every stack encrypts Temporal payloads, as production must; a test passes `TEMPORAL_PAYLOAD_KEYS: ''` to turn it off. */
export const PAYLOAD_KEYS = `test-1:${Buffer.alloc(32, 7).toString('base64')}`;

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
  /** The token of the API's dev sign-in link (GET /api/auth/dev-link), mounted as `sms-agent dev` mounts it. */
  devSignInToken: string;
  worker: { start(): Promise<void>; stop(): Promise<void> };
  /** POSTs a correctly signed Twilio inbound-SMS webhook. */
  sendSms(sms: {
    from: string;
    body: string;
    sid?: string;
    /** More form fields, e.g. an MMS's NumMedia, MediaUrlN and MediaContentTypeN. */
    params?: Record<string, string>;
  }): Promise<{ status: number; body: string; sid: string }>;
  /**
   * The workflow of an accepted SMS. The webhook answers once SmsReceived is in the log and the
   * inbox starter starts the workflow a moment later, so every call on this handle first waits
   * (up to 30 s) until the workflow exists.
   */
  handle(sid: string): WorkflowHandle<typeof smsTask>;
  /** Resolves once Temporal knows workflow `sms-<sid>`; throws after `timeoutMs`. */
  waitForWorkflow(sid: string, timeoutMs?: number): Promise<void>;
  events(stream: string): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

let sidCounter = 0;
export const newSid = () =>
  `SM${Date.now().toString(16)}${(sidCounter++).toString(16).padStart(6, '0')}${Math.random().toString(16).slice(2, 12)}`
    .padEnd(34, '0')
    .slice(0, 34);

export interface SmsStackOptions {
  /**
   * Where the API's Temporal client connects (lazily), e.g. a test's TCP proxy that can take
   * Temporal away from the API; the worker and `client` always use the real address.
   */
  apiTemporalAddress?: string;
  inbox?: AppDeps['inbox'];
  /** The worker's clock (quota and spend windows), so a test can move to the next window without waiting. */
  now?: () => Date;
}

export async function startSmsStack(
  env: Record<string, string> = {},
  options: SmsStackOptions = {},
): Promise<SmsStack> {
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
    OPENAI_FALLBACK_MODEL: 'gpt-4o-mini',
    ADMIN_API_TOKEN: 'test-admin-token-0123456789',
    TEMPORAL_PAYLOAD_KEYS: PAYLOAD_KEYS,
    ...env,
  };
  const logger = createLogger({ level: baseEnv.LOG_LEVEL });
  await migrateEventStore({ url: db.url });
  await migrateInbox(db.url);
  await migrateAuth(db.url);
  const store = createEventStore({ url: db.url });
  const pool = createPool(db.url, { max: 5 });
  // The same codecs on every client and worker of the stack, as cli/roles does.
  const dataConverter = temporalDataConverter(loadConfig(baseEnv, '/nonexistent'));
  const connection = await Connection.connect({ address: baseEnv.TEMPORAL_ADDRESS });
  const client = new Client({ connection, dataConverter });
  const apiConnection = options.apiTemporalAddress
    ? Connection.lazy({
        address: options.apiTemporalAddress,
        channelArgs: TEMPORAL_RECONNECT_ARGS,
        connectTimeout: 1_000,
      })
    : connection;
  const apiClient = apiConnection === connection ? client : new Client({ connection: apiConnection, dataConverter });
  const devSignInToken = newDevLinkToken();
  const appDeps = {
    logger,
    pool,
    temporal: apiClient,
    store,
    inbox: options.inbox,
    devSignIn: { token: devSignInToken },
  };

  // PUBLIC_URL must match the address Twilio (the fake) calls, so the API listens first.
  let config = loadConfig(baseEnv, '/nonexistent');
  const app = await buildApp({ config, ...appDeps });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  config = loadConfig({ ...baseEnv, PUBLIC_URL: address }, '/nonexistent');
  // Rebuild with the final PUBLIC_URL (signature checks and status callbacks use it).
  await app.close();
  const finalApp = await buildApp({ config, ...appDeps });
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
        deps: { ...buildActivityDeps(config, logger, store), ...(options.now && { now: options.now }) },
        workflowBundle: { codePath: inject('workflowBundlePath') },
        maxConcurrentActivities: 200,
        dataConverter,
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

  const known = new Set<string>();
  async function waitForWorkflow(sid: string, timeoutMs = 30_000) {
    if (known.has(sid)) return;
    const handle = client.workflow.getHandle(`sms-${sid}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await handle.describe();
        known.add(sid);
        return;
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
      if (Date.now() > deadline) throw new Error(`workflow sms-${sid} was not started within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  return {
    config,
    store,
    pool,
    twilio: fakeTwilio,
    openai: fakeOpenAI,
    client,
    app: finalApp,
    apiUrl: address,
    devSignInToken,
    worker: workerControl,
    async sendSms({ from, body, sid = newSid(), params: extra }) {
      const params = {
        MessageSid: sid,
        AccountSid: ACCOUNT_SID,
        From: from,
        To: OUR_NUMBER,
        Body: body,
        NumMedia: '0',
        ...extra,
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
    handle: (sid) => waitingHandle(client, sid, waitForWorkflow),
    waitForWorkflow,
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
      if (apiConnection !== connection) await apiConnection.close();
      await connection.close();
      await store.close();
      await pool.end();
      await fakeTwilio.close();
      await fakeOpenAI.close();
      await db.drop();
    },
  };
}

/** Methods of a workflow handle that talk to the workflow (the rest are plain values). */
const WORKFLOW_CALLS = new Set([
  'result',
  'describe',
  'query',
  'signal',
  'terminate',
  'cancel',
  'fetchHistory',
  'executeUpdate',
  'startUpdate',
]);

/** A handle whose calls wait until the workflow exists (the inbox starter starts it asynchronously). */
function waitingHandle(client: Client, sid: string, waitFor: (sid: string) => Promise<void>) {
  const handle = client.workflow.getHandle<typeof smsTask>(`sms-${sid}`);
  return new Proxy(handle, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !WORKFLOW_CALLS.has(key) || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await waitFor(sid);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/**
 * Starts one stack for the enclosing describe block (beforeAll), closes it afterwards and resets
 * the fakes before each test. The returned object forwards to the running stack.
 */
export function useSmsStack(env: Record<string, string> = {}, options: SmsStackOptions = {}): SmsStack {
  let current: SmsStack | undefined;
  beforeAll(async () => {
    current = await startSmsStack(env, options);
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
