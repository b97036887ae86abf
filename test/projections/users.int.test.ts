import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadModelQueries } from '../../projections/queries.js';
import { usersReadModel } from '../../projections/users/handler.js';
import { applyAgain, dumpTables, eventLog, project, readModelDatabase } from './support/harness.js';

let db: Awaited<ReturnType<typeof readModelDatabase>>;
let queries: ReturnType<typeof createReadModelQueries>;

beforeAll(async () => {
  db = await readModelDatabase();
  queries = createReadModelQueries(db.pool);
});
afterAll(async () => db?.close());

describe('users read model', () => {
  it('given a registration and usage over two months, then counts, activity and the month are right', async () => {
    const phone = '+14155550201';
    const log = eventLog();
    log.user(phone, 'UserRegistered', { phone, tier: 'free', registeredAt: '2026-01-30T09:00:00.000Z' });
    log.user(phone, 'UsageRecorded', { messageSid: 'SM1', at: '2026-01-30T09:00:01.000Z' });
    log.user(phone, 'UsageRecorded', { messageSid: 'SM2', at: '2026-01-31T10:00:00.000Z' });
    log.user(phone, 'UsageRecorded', { messageSid: 'SM3', at: '2026-02-01T08:00:00.000Z' });
    log.user(phone, 'ConversationTurnRecorded', { messageSid: 'SM3', question: 'q', answer: 'a' });
    log.user(phone, 'RateLimitHit', {
      messageSid: 'SM4',
      window: 'minute',
      windowStart: '2026-02-01T08:00:00.000Z',
      retryAt: '2026-02-01T08:01:00.000Z',
      notify: true,
    });

    await project(db.pool, usersReadModel, log.events);

    expect(await queries.getUser(phone)).toMatchObject({
      phone,
      tier: 'free',
      createdAt: '2026-01-30T09:00:00.000Z',
      // The latest of the activity times (the usage in February), not the last event's time.
      lastActiveAt: '2026-02-01T08:00:00.000Z',
      totalRequests: 3,
      monthlyRequests: 1,
      requestsMonth: '2026-02-01',
      rateLimitHits: 1,
      conversationTurns: 1,
      optedOut: false,
    });
  });

  it('given opt-out, opt-in, a reset, a tier change and a profile update, then the row follows each', async () => {
    const phone = '+14155550202';
    const log = eventLog();
    log.user(phone, 'UserRegistered', { phone, tier: 'free', registeredAt: '2026-01-10T09:00:00.000Z' });
    log.user(phone, 'ConversationTurnRecorded', { messageSid: 'SM1', question: 'q', answer: 'a' });
    log.user(phone, 'UserOptedOut', { source: 'keyword', messageSid: 'SM2' });
    await project(db.pool, usersReadModel, log.events);
    expect(await queries.getUser(phone)).toMatchObject({
      optedOut: true,
      optedOutSource: 'keyword',
      conversationTurns: 1,
    });

    const seen = log.events.length;
    log.user(phone, 'UserOptedIn', { messageSid: 'SM3' });
    log.user(phone, 'ConversationReset', { messageSid: 'SM4' });
    log.user(phone, 'TierChanged', { tier: 'premium', changedBy: 'admin' });
    log.user(phone, 'UserProfileUpdated', { email: 'a@example.com', preferences: { lang: 'en' } });
    log.user(phone, 'UserProfileUpdated', { fullName: 'Ada', preferences: { tz: 'UTC' } });
    await project(db.pool, usersReadModel, log.events.slice(seen));

    const user = await queries.getUser(phone);
    expect(user).toMatchObject({
      optedOut: false,
      conversationTurns: 0,
      tier: 'premium',
      email: 'a@example.com',
      fullName: 'Ada',
      preferences: { lang: 'en', tz: 'UTC' },
    });
    expect(user?.optedOutAt).not.toBeNull();
    expect(user?.optedInAt).not.toBeNull();
    expect(user?.tierChangedAt).not.toBeNull();
  });

  it('given a batch delivered twice, then the counters do not move', async () => {
    const phone = '+14155550203';
    const log = eventLog();
    log.user(phone, 'UserRegistered', { phone, tier: 'premium', registeredAt: '2026-01-10T09:00:00.000Z' });
    log.user(phone, 'UsageRecorded', { messageSid: 'SM1', at: '2026-01-10T09:00:01.000Z' });
    log.user(phone, 'UsageRecorded', { messageSid: 'SM2', at: '2026-01-10T09:00:02.000Z' });
    await project(db.pool, usersReadModel, log.events);
    const before = await dumpTables(db.pool, usersReadModel.tables);

    await applyAgain(db.pool, usersReadModel, log.events);

    expect(await dumpTables(db.pool, usersReadModel.tables)).toEqual(before);
    expect((await queries.getUser(phone))?.totalRequests).toBe(2);
  });

  it('lists users newest first, filtered by tier, opt-out and number', async () => {
    const page = await queries.listUsers({ limit: 2 });
    // Registered 2026-01-30, then two on 2026-01-10 (ties broken by number, descending).
    expect(page.items.map((u) => u.phone)).toEqual(['+14155550201', '+14155550203']);
    const rest = await queries.listUsers({ limit: 2, cursor: page.nextCursor ?? undefined });
    expect(rest.items.map((u) => u.phone)).toEqual(['+14155550202']);
    expect(rest.nextCursor).toBeNull();
    expect((await queries.listUsers({ tier: 'premium' })).items.map((u) => u.phone).sort()).toEqual([
      '+14155550202',
      '+14155550203',
    ]);
    expect((await queries.listUsers({ search: '0203' })).items).toHaveLength(1);
    expect((await queries.listUsers({ optedOut: true })).items).toHaveLength(0);
  });
});
