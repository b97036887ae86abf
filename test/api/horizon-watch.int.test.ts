import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordSmsReceived } from '../../activities/sms-received.js';
import { buildApp } from '../../api/app.js';
import { migrateInbox } from '../../api/inbox/checkpoint.js';
import { createEventStore, migrateEventStore } from '../../eventstore/index.js';
import type { EventStore, Subscription } from '../../eventstore/port.js';
import { loadConfig } from '../../infra/config.js';
import { createPool, type Pool } from '../../infra/db.js';
import { type RunningPostgres, startEmbeddedPostgres } from '../../infra/embedded-postgres.js';
import { createLogger } from '../../infra/logger.js';
import { migrateReadModels } from '../../projections/migrate.js';
import { newSid } from '../support/sms-stack.js';
import { eventually } from '../workflows/helpers.js';

/**
 * A PostgreSQL server of its own: an open transaction holds back every subscriber in the cluster
 * and roles are cluster-wide, so doing this on the run's shared server would stall other files.
 */
describe('the PostgreSQL event store horizon, held back by an open transaction', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'es-horizon-'));
  let server: RunningPostgres;
  let store: EventStore;
  let pool: Pool;
  let app: FastifyInstance;
  let connection: Connection;
  let alertServer: http.Server;
  const alerts: unknown[] = [];
  const logs: { level: number; msg: string; [key: string]: unknown }[] = [];

  beforeAll(async () => {
    server = await startEmbeddedPostgres({ dataDir, settings: { fsync: 'off', synchronous_commit: 'off' } });
    await migrateEventStore({ url: server.url });
    await migrateInbox(server.url);
    await migrateReadModels(server.url);
    alertServer = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        alerts.push(JSON.parse(body));
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => alertServer.listen(0, '127.0.0.1', resolve));
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        DATABASE_URL: server.url,
        EVENTSTORE_HOLDBACK_ALERT_SECONDS: '1',
        ALERT_WEBHOOK_URL: `http://127.0.0.1:${(alertServer.address() as AddressInfo).port}/alerts`,
      },
      '/nonexistent',
    );
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        done();
      },
    });
    store = createEventStore({ url: server.url });
    pool = createPool(server.url, { max: 4 });
    connection = Connection.lazy({ address: inject('temporalAddress') });
    app = await buildApp({
      config,
      logger: createLogger({ level: 'info', destination }),
      pool,
      temporal: new Client({ connection }),
      store,
      inbox: { enabled: false },
    });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await connection?.close();
    await store?.close();
    await pool?.end();
    await new Promise((resolve) => alertServer?.close(resolve));
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const gauge = async (name: string) => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : Number.NaN;
  };
  const holdback = async () => ({
    seconds: await gauge('sms_agent_eventstore_horizon_holdback_seconds'),
    events: await gauge('sms_agent_eventstore_horizon_holdback_events'),
  });
  const ready = async () => {
    const response = await app.inject({ method: 'GET', url: '/ready' });
    const body = response.json() as { status: string; checks: Record<string, { status: string; error?: string }> };
    return { code: response.statusCode, status: body.status, horizon: body.checks['eventstore-horizon'] };
  };

  it('given an idle transaction holding an xid, when SMS arrive, then the holdback grows past the threshold, one alert goes out and /ready is degraded; when it ends, all recovers and the events arrive', {
    timeout: 60_000,
  }, async () => {
    const seen = new Set<string>();
    const subscription: Subscription = store.subscribeToAll({ from: 'end', filter: { eventTypes: ['SmsReceived'] } });
    const consumed = (async () => {
      for await (const event of subscription) seen.add(event.streamName);
    })();
    expect((await ready()).horizon?.status).toBe('up');

    const blocker = new pg.Client({ connectionString: server.url, application_name: 'analyst-notebook' });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT pg_current_xact_id()');
    const blockerPid = (await blocker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;

    const phone = '+14155550123';
    const sids = [newSid(), newSid(), newSid()];
    for (const sid of sids) {
      const now = new Date();
      await recordSmsReceived(
        store,
        {
          messageSid: sid,
          from: phone,
          to: '+15005550006',
          body: 'hello',
          numMedia: 0,
          provider: 'twilio',
          receivedAt: now.toISOString(),
        },
        now,
      );
    }

    const held = await eventually(holdback, (h) => h.seconds >= 1 && h.events === 3, 20_000);
    expect(held.events).toBe(3);
    await eventually(
      async () => alerts.length,
      (n) => n === 1,
      10_000,
    );
    const degraded = await ready();
    expect(degraded).toMatchObject({ code: 200, status: 'degraded', horizon: { status: 'down' } });
    expect(degraded.horizon?.error).toMatch(/3 events held back/);
    expect([...seen].filter((s) => sids.some((sid) => s === `sms-${sid}`))).toEqual([]);

    const error = logs.find((l) => l.level === 50 && /horizon held back/.test(l.msg));
    expect(error?.blocker).toMatchObject({
      pid: blockerPid,
      user: 'postgres',
      applicationName: 'analyst-notebook',
      state: 'idle in transaction',
    });
    expect((error?.blocker as { xactSeconds?: number } | undefined)?.xactSeconds).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(alerts[0])).toContain(`pid ${blockerPid}`);
    expect(JSON.stringify(alerts[0])).not.toContain('4155550123');

    // Several checks later, still held back: still one alert for the one incident.
    await sleep(1_500);
    expect(alerts).toHaveLength(1);

    await blocker.query('ROLLBACK');
    await blocker.end();
    // Two gauges, two scrapes: wait until both say so, not one and then the other.
    expect(await eventually(holdback, (h) => h.events === 0 && h.seconds === 0)).toEqual({ seconds: 0, events: 0 });
    await eventually(
      async () => logs.filter((l) => l.level === 30 && /horizon moves again/.test(l.msg)).length,
      (n) => n === 1,
      10_000,
    );
    expect(await eventually(ready, (r) => r.status === 'ready')).toMatchObject({
      code: 200,
      horizon: { status: 'up' },
    });
    await eventually(
      async () => sids.every((sid) => seen.has(`sms-${sid}`)),
      (all) => all,
      10_000,
    );
    expect(alerts).toHaveLength(1);
    await subscription.close();
    await consumed;
  });

  describe('the analyst role', () => {
    let admin: pg.Client;
    const asRole = (user: string) => {
      const url = new URL(server.url);
      url.username = user;
      url.password = `${user}-password`;
      const client = new pg.Client({ connectionString: url.toString() });
      // The server ends the session on its own; the next query reports it.
      client.on('error', () => {});
      return client;
    };
    const show = async (client: pg.Client, setting: string) =>
      (await client.query(`SHOW ${setting}`)).rows[0]?.[setting] as string;

    beforeAll(async () => {
      admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
    });
    afterAll(() => admin?.end());

    it('the migration gives analyst an idle-in-transaction and a statement timeout, and takes TEMP from PUBLIC', async () => {
      const { rows } = await admin.query(
        `SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
         WHERE r.rolname = 'analyst' AND s.setdatabase = 0`,
      );
      expect(rows[0]?.setconfig).toEqual(
        expect.arrayContaining(['idle_in_transaction_session_timeout=1min', 'statement_timeout=5min']),
      );
      const temp = await admin.query(
        "SELECT has_database_privilege('analyst', current_database(), 'TEMP') AS analyst, has_database_privilege('postgres', current_database(), 'TEMP') AS service",
      );
      expect(temp.rows[0]).toEqual({ analyst: false, service: true });
    });

    it('a login role that is a member of analyst gets the same limits (role settings are not inherited)', async () => {
      await admin.query("CREATE ROLE alice LOGIN PASSWORD 'alice-password' IN ROLE analyst");
      const before = asRole('alice');
      await before.connect();
      expect(await show(before, 'idle_in_transaction_session_timeout')).toBe('0');
      await before.end();
      // The migration applies to the members it finds; a read-model rebuild's fresh schema runs it again.
      await migrateReadModels(server.url, { schema: 'rm_members' });
      const after = asRole('alice');
      await after.connect();
      expect(await show(after, 'idle_in_transaction_session_timeout')).toBe('1min');
      expect(await show(after, 'statement_timeout')).toBe('5min');
      await expect(after.query('CREATE TEMP TABLE scratch (n int)')).rejects.toThrow(/permission denied/);
      await after.end();
    });

    it('with the settings reset, migrating several fresh databases at once sets them again (roles are shared by the cluster)', async () => {
      await admin.query('ALTER ROLE analyst RESET ALL');
      const names = ['limits_a', 'limits_b', 'limits_c', 'limits_d'];
      for (const name of names) await admin.query(`CREATE DATABASE ${name}`);
      const urlOf = (name: string) => {
        const url = new URL(server.url);
        url.pathname = `/${name}`;
        return url.toString();
      };
      await Promise.all(names.map((name) => migrateReadModels(urlOf(name))));
      const { rows } = await admin.query(
        `SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
         WHERE r.rolname = 'analyst' AND s.setdatabase = 0`,
      );
      expect(rows[0]?.setconfig).toEqual(
        expect.arrayContaining(['idle_in_transaction_session_timeout=1min', 'statement_timeout=5min']),
      );
    });

    it('a session logged in as analyst that sits idle in a transaction past its timeout is ended by PostgreSQL', async () => {
      // Shortened for the test; ALTER ROLE ... SET applies from the next login on.
      await admin.query("ALTER ROLE analyst WITH LOGIN PASSWORD 'analyst-password'");
      await admin.query("ALTER ROLE analyst SET idle_in_transaction_session_timeout = '300ms'");
      const analyst = asRole('analyst');
      await analyst.connect();
      expect(await show(analyst, 'idle_in_transaction_session_timeout')).toBe('300ms');
      await analyst.query('BEGIN');
      const pid = (await analyst.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      await analyst.query('SELECT pg_current_xact_id()');
      await eventually(
        async () =>
          (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0].n,
        (n) => n === 0,
        10_000,
      );
      await expect(analyst.query('SELECT 1')).rejects.toThrow();
      await analyst.end().catch(() => {});
    });
  });
});
