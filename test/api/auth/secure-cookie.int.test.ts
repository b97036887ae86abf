import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../../api/app.js';
import { createAccount } from '../../../api/auth/accounts.js';
import { migrateAuth } from '../../../api/auth/migrate.js';
import { createEventStore, migrateEventStore } from '../../../eventstore/index.js';
import type { EventStore } from '../../../eventstore/port.js';
import { loadConfig } from '../../../infra/config.js';
import { createPool, type Pool } from '../../../infra/db.js';
import { createLogger } from '../../../infra/logger.js';
import { createTestDatabase } from '../../support/database.js';
import { TEST_ACTOR } from './helpers.js';

/** Behind https (PUBLIC_URL), the session cookie is Secure (the stack tests run over http and see it without); login takes JSON only. */
describe('session cookie behind https', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let store: EventStore;
  let connection: Connection;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase('securecookie');
    await migrateEventStore({ url: db.url });
    await migrateAuth(db.url);
    pool = createPool(db.url, { max: 2 });
    store = createEventStore({ url: db.url });
    connection = Connection.lazy({ address: inject('temporalAddress') });
    const config = loadConfig(
      { NODE_ENV: 'test', DATABASE_URL: db.url, PUBLIC_URL: 'https://sms.example.test' },
      '/nonexistent',
    );
    app = await buildApp({
      config,
      logger: createLogger({ level: 'silent' }),
      pool,
      temporal: new Client({ connection }),
      store,
      inbox: { enabled: false },
    });
    await createAccount(
      pool,
      store,
      { email: 'secure@example.test', role: 'analyst', password: 'a long enough password' },
      { actor: TEST_ACTOR, correlationId: 'test', now: new Date() },
    );
  });
  afterAll(async () => {
    await app?.close();
    await connection?.close();
    await store?.close();
    await pool?.end();
    await db?.drop();
  });

  it('sets Secure with HttpOnly and SameSite=Strict', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'secure@example.test', password: 'a long enough password' },
    });
    expect(response.statusCode).toBe(200);
    const attributes = String(response.headers['set-cookie'])
      .split(';')
      .slice(1)
      .map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=strict', 'path=/']));
  });

  it('takes the login as JSON only: a cross-site HTML form (urlencoded) cannot sign a browser in', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: 'secure@example.test', password: 'a long enough password' }).toString(),
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({
      error: 'Unsupported Media Type',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Send the login as application/json',
      statusCode: 415,
    });
    expect(response.headers['set-cookie']).toBeUndefined();
  });
});
