import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '../../domain/events/catalogue.js';
import type { EventMetadata } from '../../domain/events/envelope.js';
import { createEventStore, type EventStore, migrateEventStore } from '../../eventstore/index.js';
import { auditReadModel } from '../../projections/audit/handler.js';
import { auditQueries } from '../../projections/audit/queries.js';
import { migrateReadModels } from '../../projections/migrate.js';
import { rebuildReadModels } from '../../projections/runtime/rebuild.js';
import { startProjectors } from '../../projections/runtime/start.js';
import type { ProjectionEvent } from '../../projections/runtime/types.js';
import { InvalidCursorError } from '../../projections/shared/view.js';
import {
  applyAgain,
  dumpTables,
  eventLog,
  project,
  readModelDatabase,
  SCHEMA,
  untilProcessed,
} from './support/harness.js';

const PHONE = '+14155550501';
const ADMIN = { name: 'ADMIN_API_TOKEN', role: 'admin', kind: 'bootstrap' } as const;
const OPS = { name: 'ops@example.com', role: 'ops', kind: 'session' } as const;

let db: Awaited<ReturnType<typeof readModelDatabase>>;
let queries: ReturnType<typeof auditQueries>;

beforeAll(async () => {
  db = await readModelDatabase();
  queries = auditQueries(db.pool, SCHEMA);
});
afterAll(async () => db?.close());

/** As the admin API appends them: the actor (and the reason, when given) in the metadata. */
const by = <E extends ProjectionEvent>(event: E, actor: EventMetadata['actor'], reason?: string): E => {
  Object.assign(event.metadata, { actor, ...(reason ? { reason } : {}) });
  return event;
};

// Fixed, like the harness's event ids: every test's log is the same rows.
const ERROR_ID = '5a0c1f4e-2b7d-4c39-9e21-0d6f7b3a8c10';
const REBUILD_ID = '0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b';

/** A log mixing API actions with the same event types appended by the pipeline (no actor). */
function mixedLog() {
  const log = eventLog();
  log.user(PHONE, 'UserRegistered', { phone: PHONE, tier: 'free', registeredAt: '2026-01-10T12:00:00.000Z' });
  const tier = by(log.user(PHONE, 'TierChanged', { tier: 'premium', changedBy: ADMIN.name }), ADMIN, 'paid');
  log.user(PHONE, 'UserOptedOut', { source: 'keyword', messageSid: 'SMA1' });
  const optIn = by(log.user(PHONE, 'UserOptedIn', {}), OPS);
  const optOut = by(log.user(PHONE, 'UserOptedOut', { source: 'admin' }), OPS, 'asked by email');
  log.sms('SMA2', 'TaskRetryRequested', { requestedBy: OPS.name, round: 1 });
  const retry = by(log.sms('SMA2', 'TaskRetrySignalled', { round: 0 }), OPS);
  const resolved = by(log.sms('SMA3', 'ErrorResolved', { errorId: ERROR_ID }), ADMIN);
  const rebuild = by(
    log.append('projection-audit', 'ProjectionRebuildRequested', { rebuildId: REBUILD_ID, projections: ['audit'] }),
    ADMIN,
  );
  return { log, actions: [tier, optIn, optOut, retry, resolved, rebuild] };
}

const viewOf = (e: ProjectionEvent) => ({
  id: e.id,
  occurredAt: e.metadata.occurredAt,
  actorName: e.metadata.actor?.name,
  actorRole: e.metadata.actor?.role,
  actorKind: e.metadata.actor?.kind,
  action: e.type,
  target: e.streamName,
  reason: e.metadata.reason ?? null,
  details: e.data,
});

describe('audit read model', () => {
  it('given API actions among pipeline events, then one row per event with an actor, newest first, row by row', async () => {
    const { log, actions } = mixedLog();
    await project(db.pool, auditReadModel, log.events);
    const page = await queries.listAudit({ limit: 500 });
    expect(page.items.filter((i) => actions.some((a) => a.id === i.id))).toEqual(actions.reverse().map(viewOf));
    // The keyword opt-out and the workflow's TaskRetryRequested carry no actor: no rows
    expect(page.items.map((i) => i.action)).not.toContain('TaskRetryRequested');
    expect(page.items.filter((i) => i.target === `user-${PHONE}` && i.action === 'UserOptedOut')).toHaveLength(1);
  });

  it('replays change nothing, and batch boundaries do not matter', async () => {
    const { log } = mixedLog();
    await project(db.pool, auditReadModel, log.events);
    const before = await dumpTables(db.pool, auditReadModel.tables);
    await applyAgain(db.pool, auditReadModel, log.events);
    expect(await dumpTables(db.pool, auditReadModel.tables)).toEqual(before);

    await migrateReadModels(db.url, { schema: 'audit_batches' });
    await project(db.pool, auditReadModel, log.events, { batchSize: 1, schema: 'audit_batches' });
    const oneByOne = (await dumpTables(db.pool, auditReadModel.tables, 'audit_batches')).audit_log;
    const mine = new Set(log.events.map((e) => e.id));
    expect(oneByOne).toEqual(before.audit_log?.filter((r) => mine.has((r as { id: string }).id)));
  });

  it('filters by actor, action and time, and pages with a cursor', async () => {
    const { log, actions } = mixedLog();
    await project(db.pool, auditReadModel, log.events);
    const ids = new Set(actions.map((a) => a.id));
    const mine = (items: { id: string }[]) => items.filter((i) => ids.has(i.id)).map((i) => i.id);

    expect(mine((await queries.listAudit({ actor: OPS.name, limit: 500 })).items)).toEqual(
      actions
        .filter((a) => a.metadata.actor?.name === OPS.name)
        .map((a) => a.id)
        .reverse(),
    );
    expect(mine((await queries.listAudit({ action: 'TierChanged', limit: 500 })).items)).toEqual([actions[0]?.id]);
    const from = actions[1]?.metadata.occurredAt as string;
    const to = actions[3]?.metadata.occurredAt as string;
    expect(mine((await queries.listAudit({ from, to, limit: 500 })).items)).toEqual([actions[2]?.id, actions[1]?.id]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await queries.listAudit({ actor: ADMIN.name, limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const all = (await queries.listAudit({ actor: ADMIN.name, limit: 500 })).items.map((i) => i.id);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);
    await expect(queries.listAudit({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe('audit projection over a real log', () => {
  let store: EventStore;
  beforeAll(async () => {
    await migrateEventStore({ url: db.url });
    store = createEventStore({ url: db.url });
  });
  afterAll(async () => store?.close());

  it('projected live, then rebuilt from the log: the same rows', async () => {
    const appendAs = async (stream: string, event: ReturnType<typeof createEvent>) =>
      store.append(stream, [{ id: randomUUID(), ...event }]);
    const meta = (actor?: EventMetadata['actor'], reason?: string) => ({
      correlationId: randomUUID(),
      occurredAt: new Date().toISOString(),
      ...(actor ? { actor } : {}),
      ...(reason ? { reason } : {}),
    });
    const phone = '+14155550502';
    await appendAs(
      `user-${phone}`,
      createEvent('UserRegistered', { phone, tier: 'free', registeredAt: new Date().toISOString() }, meta()),
    );
    await appendAs(
      `user-${phone}`,
      createEvent('TierChanged', { tier: 'premium', changedBy: OPS.name }, meta(ADMIN, 'promo')),
    );
    await appendAs(`user-${phone}`, createEvent('UserOptedOut', { source: 'keyword' }, meta()));
    await appendAs(`user-${phone}`, createEvent('UserOptedOut', { source: 'admin' }, meta(OPS)));
    await appendAs('sms-SMA9', createEvent('TaskRetrySignalled', { round: 0 }, meta(OPS, 'fixed key')));

    await db.pool.query(`DELETE FROM ${SCHEMA}.audit_log`);
    await db.pool.query(`DELETE FROM ${SCHEMA}.projection_checkpoints WHERE name = 'audit'`);
    const live = startProjectors({ store, databaseUrl: db.url, only: ['audit'], tuning: { lockPollMs: 100 } });
    try {
      await untilProcessed(db.pool, { audit: 4 });
    } finally {
      await live.stop();
    }
    const projected = await dumpTables(db.pool, auditReadModel.tables);
    expect(projected.audit_log?.map((r) => (r as { action: string }).action).sort()).toEqual([
      'TaskRetrySignalled',
      'TierChanged',
      'UserOptedOut',
    ]);

    const result = await rebuildReadModels({ databaseUrl: db.url, store, only: ['audit'] });
    expect(result.events).toEqual({ audit: 4 });
    expect(await dumpTables(db.pool, auditReadModel.tables)).toEqual(projected);
  });
});
