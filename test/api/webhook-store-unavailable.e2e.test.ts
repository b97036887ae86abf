import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { createEventStore, migrateEventStore } from '../../eventstore/index.js';
import type { EventStore } from '../../eventstore/port.js';
import { loadConfig } from '../../infra/config.js';
import { createPool, type Pool } from '../../infra/db.js';
import { createLogger } from '../../infra/logger.js';
import { freePort } from '../../infra/ports.js';
import { createTestDatabase } from '../support/database.js';
import { ACCOUNT_SID, AUTH_TOKEN, newSid, OUR_NUMBER } from '../support/sms-stack.js';
import { type TcpProxy, tcpProxy } from '../support/tcp-proxy.js';
import { eventually, nextPhone } from '../workflows/helpers.js';

/** Twilio gives up on a webhook after 15 s; the 503 must come well before, so its fallback URL gets the SMS. */
const BOUND_MS = 8_000;

/**
 * The webhook when the event store cannot take the append, with the production timeouts (no
 * overrides): its pool has no free connection, or PostgreSQL is black-holed or refuses. The
 * store reaches PostgreSQL through a TCP proxy the test controls; checks read the database directly.
 */
describe('POST /sms/receive when the event store is unavailable', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let storePool: Pool;
  let apiPool: Pool;
  let store: EventStore;
  let direct: EventStore;
  let app: FastifyInstance;
  let connection: Connection;
  let url: string;

  beforeAll(async () => {
    db = await createTestDatabase('unavail');
    await migrateEventStore({ url: db.url });
    const target = new URL(db.url);
    proxy = await tcpProxy(`${target.hostname}:${target.port}`);
    await proxy.open();
    const proxied = new URL(db.url);
    proxied.host = proxy.address;
    // The store's pool as the api role makes it (default timeouts), only smaller so a test can fill it.
    storePool = createPool(proxied.toString(), { max: 2, applicationName: 'sms-agent-eventstore' });
    store = createEventStore({ url: proxied.toString(), pool: storePool });
    direct = createEventStore({ url: db.url });
    apiPool = createPool(db.url, { max: 2 });
    connection = Connection.lazy({ address: inject('temporalAddress') });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: db.url,
        PUBLIC_URL: url,
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_PHONE_NUMBER: OUR_NUMBER,
      },
      '/nonexistent',
    );
    app = await buildApp({
      config,
      logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      pool: apiPool,
      temporal: new Client({ connection }),
      store,
      inbox: { enabled: false },
    });
    await app.listen({ host: '127.0.0.1', port });
  });

  afterAll(async () => {
    await app?.close();
    await connection?.close();
    await store?.close();
    await direct?.close();
    await storePool?.end();
    await apiPool?.end();
    await proxy?.close();
    await db?.drop();
  });

  /** One signed inbound SMS; `send()` posts exactly the same request each time, as a redelivery would. */
  function signedSms() {
    const params = {
      MessageSid: newSid(),
      AccountSid: ACCOUNT_SID,
      From: nextPhone(),
      To: OUR_NUMBER,
      Body: 'Is anyone there?',
      NumMedia: '0',
    };
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${url}/sms/receive`, params);
    return {
      sid: params.MessageSid,
      async send() {
        const started = performance.now();
        const response = await fetch(`${url}/sms/receive`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
          body: new URLSearchParams(params).toString(),
          signal: AbortSignal.timeout(30_000),
        });
        const body = await response.text();
        return {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body,
          ms: performance.now() - started,
        };
      },
    };
  }

  const recorded = async (sid: string) => {
    try {
      return (await direct.readStream(`sms-${sid}`)).map((e) => e.type);
    } catch {
      return [];
    }
  };

  /** The same webhook again until the store takes it (a pooled connection may still be a dead one). */
  const recordedOnceAfterRecovery = async (sms: ReturnType<typeof signedSms>) => {
    const answer = await eventually(
      () => sms.send(),
      (r) => r.status === 200,
      20_000,
    );
    expect(answer.body).toContain('<Response>');
    // Once more, as a redelivery: still one event.
    expect((await sms.send()).status).toBe(200);
    expect(await recorded(sms.sid)).toEqual(['SmsReceived']);
  };

  it('given every connection of the store pool busy, answers 503 with Retry-After within the bound, then records the redelivery once', {
    timeout: 60_000,
  }, async () => {
    const warm = signedSms();
    expect((await warm.send()).status).toBe(200);

    const held = await Promise.all([storePool.connect(), storePool.connect()]);
    const busy = held.map((client) => client.query('SELECT pg_sleep(8)').finally(() => client.release()));
    const sms = signedSms();
    const answer = await sms.send();
    console.info(`pool exhausted: ${answer.status} after ${Math.round(answer.ms)} ms`);
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('5');
    expect(answer.ms).toBeLessThan(BOUND_MS);
    await Promise.all(busy);
    expect(await recorded(sms.sid)).toEqual([]);

    await recordedOnceAfterRecovery(sms);
  });

  it('given PostgreSQL black-holed (no answer, nothing refused), answers 503 within the bound, and after recovery records the same webhook once', {
    timeout: 60_000,
  }, async () => {
    expect((await signedSms().send()).status).toBe(200); // an idle pooled connection to lose
    proxy.stall();
    const sms = signedSms();
    // First on the pooled connections (each one that times out is dropped), then on a new one.
    const answers = [];
    while (storePool.totalCount > 0 && answers.length < 3) answers.push(await sms.send());
    answers.push(await sms.send());
    console.info(`black hole: ${answers.map((a) => `${a.status} after ${Math.round(a.ms)} ms`).join(', ')}`);
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('5');
      expect(answer.ms).toBeLessThan(BOUND_MS);
    }
    proxy.unstall();
    expect(await recorded(sms.sid)).toEqual([]);

    await recordedOnceAfterRecovery(sms);
  });

  it('given PostgreSQL refusing connections, answers 503 at once, and after recovery records the same webhook once', {
    timeout: 60_000,
  }, async () => {
    await proxy.close();
    const sms = signedSms();
    const answer = await sms.send();
    console.info(`refused: ${answer.status} after ${Math.round(answer.ms)} ms`);
    expect(answer.status).toBe(503);
    expect(answer.ms).toBeLessThan(BOUND_MS);
    expect(await recorded(sms.sid)).toEqual([]);

    await proxy.open();
    await recordedOnceAfterRecovery(sms);
  });
});
