import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import operatorAccess from '../../api/plugins/operator-access.js';
import readiness from '../../api/plugins/readiness.js';
import temporal from '../../api/plugins/temporal.js';
import health from '../../api/routes/health.js';
import { freePort } from '../../infra/ports.js';
import { uncaughtDuring } from '../support/uncaught.js';

/** GET /ready over the real plugin and route, with checks that pass or fail on demand. */
async function appWith(checks: Record<string, { up: boolean; required?: boolean }>) {
  const app = Fastify();
  await app.register(readiness);
  // inject() calls from 127.0.0.1: a local caller sees each check
  await app.register(operatorAccess, {});
  await app.register(async (scoped) => {
    for (const [name, { up, required }] of Object.entries(checks)) {
      scoped.readiness.register(
        name,
        async () => {
          if (!up) throw new Error(`${name} refused the connection`);
        },
        { required },
      );
    }
  });
  await app.register(health);
  return app;
}

describe('GET /ready', () => {
  it('given every dependency up, then 200 ready', async () => {
    const app = await appWith({ postgres: { up: true }, temporal: { up: true, required: false } });
    const response = await app.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ready', checks: { postgres: { status: 'up', required: true } } });
  });

  it('given an optional dependency down, then 200 degraded with its error', async () => {
    const app = await appWith({ postgres: { up: true }, temporal: { up: false, required: false } });
    const response = await app.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'degraded',
      checks: { temporal: { status: 'down', required: false, error: 'temporal refused the connection' } },
    });
  });

  it('given a required dependency down, then 503 not_ready', async () => {
    const app = await appWith({ postgres: { up: false }, temporal: { up: true, required: false } });
    const response = await app.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'not_ready', checks: { postgres: { status: 'down' } } });
  });

  it('given Temporal unreachable, then the probe says down and leaves no call retrying: its connection closes cleanly right after', async () => {
    // A real client on a port nothing listens on: every call fails UNAVAILABLE at once.
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const client = new Client({ connection });
    const app = Fastify();
    await app.register(readiness);
    await app.register(operatorAccess, {});
    await app.register(temporal, { client });
    await app.register(health);
    const uncaught = await uncaughtDuring(async () => {
      const response = await app.inject({ method: 'GET', url: '/ready' });
      expect(response.json()).toMatchObject({ status: 'degraded', checks: { temporal: { status: 'down' } } });

      // Shut down as the API does, then wait past the SDK's first retry delays (0.2-1.8 s): a
      // retry left waiting on the closed channel would throw "Channel has been shut down".
      await app.close();
      await connection.close();
      await sleep(2_500);
    });
    expect(uncaught).toEqual([]);
  });
});
