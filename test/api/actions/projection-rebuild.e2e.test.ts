import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../api/app.js';
import { createLogger } from '../../../infra/logger.js';
import { useSmsStack } from '../../support/sms-stack.js';
import { api, tokenFor, useProjections } from './helpers.js';

describe('POST /api/projections/:name/rebuild', () => {
  const stack = useSmsStack();
  useProjections(stack, ['audit']);

  it('runs the rebuild in the background, one at a time (409 meanwhile), records who asked, and reports how it went', async () => {
    const started = await api(stack, 'POST', '/api/projections/audit/rebuild', { body: { reason: 'new column' } });
    expect(started).toMatchObject({
      status: 202,
      body: { projections: ['audit'], state: 'running', requestedBy: 'ADMIN_API_TOKEN' },
    });
    const id = started.body.id as string;
    expect(started.headers.location).toBe(`/api/projections/rebuilds/${id}`);

    // While it runs, a second one is refused (the first is still migrating its fresh schema)
    const second = await api(stack, 'POST', '/api/projections/users/rebuild');
    expect(second).toMatchObject({ status: 409, body: { error: 'ConflictError' } });

    await expect
      .poll(async () => (await api(stack, 'GET', `/api/projections/rebuilds/${id}`)).body.state, {
        timeout: 30_000,
        interval: 100,
      })
      .toBe('succeeded');
    const done = await api(stack, 'GET', `/api/projections/rebuilds/${id}`);
    expect(done.body).toMatchObject({
      id,
      events: { audit: expect.any(Number) },
      copied: expect.arrayContaining(['users', 'tasks']),
      finishedAt: expect.any(String),
    });

    // The request is in the log with its actor, and the rebuilt audit trail lists it
    const [requested] = await stack.events('projection-audit');
    expect(requested).toMatchObject({
      type: 'ProjectionRebuildRequested',
      data: { rebuildId: id, projections: ['audit'] },
      metadata: { actor: { name: 'ADMIN_API_TOKEN', role: 'admin' }, reason: 'new column' },
    });
    await expect
      .poll(async () => (await api(stack, 'GET', '/api/audit?action=ProjectionRebuildRequested')).body.items, {
        timeout: 10_000,
      })
      .toContainEqual(expect.objectContaining({ target: 'projection-audit', reason: 'new column' }));

    // Once finished, another may start
    const next = await api(stack, 'POST', '/api/projections/all/rebuild');
    expect(next).toMatchObject({ status: 202, body: { state: 'running' } });
    const nextId = next.body.id as string;
    await expect
      .poll(async () => (await api(stack, 'GET', `/api/projections/rebuilds/${nextId}`)).body.state, {
        timeout: 30_000,
        interval: 100,
      })
      .toBe('succeeded');
  });

  /** GET /api/projections' entry for one projection, from the given app (another replica, say). */
  async function statusOf(name: string, app = stack.app) {
    const response = await app.inject({
      method: 'GET',
      url: '/api/projections',
      headers: { authorization: `Bearer ${stack.config.ADMIN_API_TOKEN}` },
    });
    expect(response.statusCode).toBe(200);
    const list = response.json().projections as { name: string; rebuild: Record<string, unknown> }[];
    return list.find((p) => p.name === name)?.rebuild;
  }

  it('GET /api/projections shows a running rebuild (state, replayed of total, percent, who, since when) on every replica, then its outcome', async () => {
    // Another API process on the same database: it did not start the rebuild and still sees it.
    const replica = await buildApp({
      config: stack.config,
      logger: createLogger({ level: 'silent' }),
      pool: stack.pool,
      temporal: stack.client,
      store: stack.store,
      inbox: { enabled: false },
    });
    // Hold the rebuild at its swap (it locks the live checkpoint table) to look at it mid-way.
    const holder = await stack.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE read_models.projection_checkpoints IN SHARE MODE');
      const ops = await tokenFor(stack, 'ops');
      const started = await api(stack, 'POST', '/api/projections/audit/rebuild', { body: { reason: 'progress' } });
      expect(started.status).toBe(202);
      const id = started.body.id as string;

      await expect
        .poll(async () => (await statusOf('audit', replica))?.state, { timeout: 30_000, interval: 100 })
        .toBe('rebuilding');
      // Replayed everything it will before the swap: the count stops at the total, percent below 100
      await expect
        .poll(
          async () => {
            const s = await statusOf('audit', replica);
            return s && (s.eventsReplayed as number) >= (s.eventsTotal as number);
          },
          { timeout: 30_000, interval: 100 },
        )
        .toBe(true);
      const running = await statusOf('audit', replica);
      expect(running).toMatchObject({
        state: 'rebuilding',
        rebuildId: id,
        startedBy: 'ADMIN_API_TOKEN',
        startedAt: expect.any(String),
        eventsTotal: expect.any(Number),
      });
      expect(running?.eventsTotal).toBeGreaterThan(0);
      expect(running?.percent).toBeGreaterThan(0);
      expect(running?.percent).toBeLessThan(100);
      expect(await statusOf('audit')).toEqual(running);
      expect((await statusOf('users'))?.state).toBe('idle');
      // Any signed-in role reads it
      expect((await api(stack, 'GET', '/api/projections', { token: ops })).status).toBe(200);

      await holder.query('COMMIT');
      await expect
        .poll(async () => (await statusOf('audit', replica))?.state, { timeout: 30_000, interval: 100 })
        .toBe('idle');
      const done = await statusOf('audit', replica);
      expect(done).toMatchObject({
        rebuildId: id,
        percent: 100,
        startedBy: 'ADMIN_API_TOKEN',
        last: { rebuildId: id, outcome: 'succeeded', finishedAt: expect.any(String), error: null },
      });
      expect(done?.eventsReplayed).toBe(running?.eventsReplayed);
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      holder.release();
      await replica.close();
    }
  });

  it('GET /api/projections says failed, with the error, when the last rebuild failed', async () => {
    await stack.pool.query(
      `INSERT INTO read_models.projection_rebuilds
         (rebuild_id, projection, state, events_replayed, events_total, started_at, started_by, finished_at, error)
       VALUES ($1, 'messages', 'failed', 3, 10, now() + interval '1 hour', 'someone', now() + interval '1 hour', 'disk full')`,
      [randomUUID()],
    );
    expect(await statusOf('messages')).toMatchObject({
      state: 'failed',
      eventsReplayed: 3,
      eventsTotal: 10,
      percent: 30,
      startedBy: 'someone',
      last: { outcome: 'failed', error: 'disk full' },
    });
  });

  it('a rebuild left "rebuilding" by a process that died (nobody holds the rebuild lock) reads as failed, abandoned', async () => {
    const id = randomUUID();
    await stack.pool.query(
      `INSERT INTO read_models.projection_rebuilds (rebuild_id, projection, state, events_replayed, events_total, started_at, started_by)
       VALUES ($1, 'daily_stats', 'rebuilding', 5, 10, now() + interval '1 hour', 'crashed-replica')`,
      [id],
    );
    expect(await statusOf('daily_stats')).toMatchObject({
      state: 'failed',
      rebuildId: id,
      startedBy: 'crashed-replica',
      last: { rebuildId: id, outcome: 'failed', error: expect.stringMatching(/^abandoned/) },
    });
  });

  it('404 for an unknown projection or rebuild; 401 without credentials; 403 for ops and analysts', async () => {
    expect((await api(stack, 'POST', '/api/projections/nope/rebuild')).status).toBe(404);
    expect((await api(stack, 'GET', `/api/projections/rebuilds/${randomUUID()}`)).status).toBe(404);
    expect((await api(stack, 'POST', '/api/projections/audit/rebuild', { token: null })).status).toBe(401);
    expect((await api(stack, 'GET', `/api/projections/rebuilds/${randomUUID()}`, { token: null })).status).toBe(401);
    for (const role of ['ops', 'analyst'] as const) {
      const token = await tokenFor(stack, role);
      expect((await api(stack, 'POST', '/api/projections/audit/rebuild', { token })).status).toBe(403);
    }
    expect(await stack.events('projection-nope')).toEqual([]);
  });

  it('GET /api/audit: admin only, filters validated', async () => {
    expect((await api(stack, 'GET', '/api/audit', { token: null })).status).toBe(401);
    expect((await api(stack, 'GET', '/api/audit', { token: await tokenFor(stack, 'ops') })).status).toBe(403);
    expect((await api(stack, 'GET', '/api/audit?from=yesterday')).status).toBe(400);
    expect((await api(stack, 'GET', '/api/audit?cursor=garbage')).status).toBe(400);
    const ok = await api(stack, 'GET', '/api/audit?limit=1');
    expect(ok).toMatchObject({ status: 200, body: { items: expect.any(Array) } });
    expect((ok.body.items as unknown[]).length).toBeLessThanOrEqual(1);
  });

  it('tokens made through the API are in the audit trail too, without their secret', async () => {
    const token = await tokenFor(stack, 'analyst');
    await expect
      .poll(async () => (await api(stack, 'GET', '/api/audit?action=ApiTokenCreated')).body.items, { timeout: 10_000 })
      .toContainEqual(
        expect.objectContaining({ actorName: 'ADMIN_API_TOKEN', target: expect.stringMatching(/^token-/) }),
      );
    expect(JSON.stringify((await api(stack, 'GET', '/api/audit')).body)).not.toContain(token);
  });
});
