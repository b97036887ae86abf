import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrateReadModels } from '../../projections/migrate.js';
import { type RunningProjectors, startProjectors } from '../../projections/runtime/start.js';
import { type RunningServer, sendJson, startServer } from '../fakes/http.js';
import { type SmsStack, startSmsStack } from '../support/sms-stack.js';
import { dataOf, eventually, nextPhone, repliesTo, textAndWait } from './helpers.js';

/** Everyone's daily AI budget: real Temporal and PostgreSQL, daily_stats projected as in production. */
describe('the daily AI budget', () => {
  let stack: SmsStack;
  let projectors: RunningProjectors | undefined;
  let alertHook: RunningServer;
  const alerts: { title: string; text: string; workflowId: string }[] = [];
  beforeAll(async () => {
    alertHook = await startServer(async (_req, res, body) => {
      alerts.push(JSON.parse(body));
      sendJson(res, 200, { ok: true });
    });
    // No cache: each SMS reads the budget and today's spend afresh, so the test needs no waiting.
    stack = await startSmsStack({ ALERT_WEBHOOK_URL: `${alertHook.origin}/alerts`, AI_BUDGET_CACHE_SECONDS: '0' });
    const databaseUrl = stack.config.DATABASE_URL as string;
    await migrateReadModels(databaseUrl);
    projectors = startProjectors({
      store: stack.store,
      databaseUrl,
      only: ['daily_stats', 'audit'],
      tuning: { lingerMs: 5, lockPollMs: 100, retryDelayMs: 50 },
    });
  });
  afterAll(async () => {
    await projectors?.stop();
    await stack?.close();
    await alertHook?.close();
  });
  beforeEach(() => {
    stack.twilio.reset();
    stack.openai.reset();
  });

  const call = async (method: 'GET' | 'PUT', token: string | null, body?: Record<string, unknown>) => {
    const response = await stack.app.inject({
      method,
      url: '/api/settings/ai-budget',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body ? { payload: body } : {}),
    });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
  };
  const admin = () => stack.config.ADMIN_API_TOKEN as string;
  async function analystToken() {
    const created = await stack.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: { authorization: `Bearer ${admin()}` },
      payload: { name: `analyst-${Date.now()}`, role: 'analyst' },
    });
    return (created.json() as { token: string }).token;
  }

  it('past the budget no one gets an AI answer, each texter one notice, ops one alert; raising it brings the AI back', async () => {
    const [ann, ben] = [nextPhone(), nextPhone()];
    // Given one answer today, counted in daily_stats
    expect((await textAndWait(stack, ann, 'What is a monad?')).outcome).toBe('answered');
    const spent = await eventually(
      async () => (await call('GET', admin())).body,
      (b) => Number(b.spentTodayUsd) > 0,
    );
    expect(spent).toMatchObject({ dailyUsd: null, source: 'config', paused: false });

    // When an admin sets the budget below today's spend
    const lowered = await call('PUT', admin(), { dailyUsd: Number(spent.spentTodayUsd) / 2, reason: 'test' });
    expect(lowered).toMatchObject({ status: 200, body: { source: 'settings', paused: true } });

    // Then texts from two people get no AI call, one notice each, and ops one alert
    stack.openai.reset();
    const outcomes = [];
    for (const [from, body] of [
      [ann, 'Another question?'],
      [ben, 'My first question?'],
      [ann, 'Still there?'],
      [ben, 'Hello again?'],
    ] as const) {
      outcomes.push((await textAndWait(stack, from, body)).outcome);
    }
    expect(outcomes).toEqual(['spend_capped', 'spend_capped', 'spend_capped', 'spend_capped']);
    expect(stack.openai.requests).toHaveLength(0);
    for (const person of [ann, ben]) {
      const notices = repliesTo(stack, person).filter((r) => r.body.includes('taking a break for today'));
      expect(notices).toHaveLength(1);
      const hits = dataOf(await stack.events(`user-${person}`), 'SpendCapHit');
      expect(hits.map((h) => [h.scope, h.notify])).toEqual([
        ['global', true],
        ['global', false],
      ]);
    }
    const budgetAlerts = alerts.filter((a) => a.title === 'Daily AI budget reached');
    expect(budgetAlerts).toHaveLength(1);
    expect(budgetAlerts[0]?.text).not.toMatch(/\+1415/);

    // When the admin raises it, then the AI answers again
    const raised = await call('PUT', admin(), { dailyUsd: 100 });
    expect(raised).toMatchObject({ status: 200, body: { dailyUsd: 100, paused: false } });
    expect((await textAndWait(stack, ben, 'Back now?')).outcome).toBe('answered');
    expect(stack.openai.requests).toHaveLength(1);

    // And each change is an event with its actor, in the audit trail
    const changes = (await stack.events('settings-ai-budget')).filter((e) => e.type === 'AiBudgetChanged');
    expect(changes.map((e) => [e.data, e.metadata.actor?.name])).toEqual([
      [{ dailyUsd: Number(spent.spentTodayUsd) / 2 }, 'ADMIN_API_TOKEN'],
      [{ dailyUsd: 100 }, 'ADMIN_API_TOKEN'],
    ]);
    await eventually(
      async () =>
        (
          await stack.pool.query(
            `SELECT count(*)::int AS n FROM read_models.audit_log WHERE action = 'AiBudgetChanged'`,
          )
        ).rows[0]?.n,
      (n) => n === 2,
    );
  });

  it('roles: staff read the budget, only admins change it; 401 without credentials, 400 for a bad amount', async () => {
    const analyst = await analystToken();
    expect((await call('GET', analyst)).status).toBe(200);
    expect((await call('PUT', analyst, { dailyUsd: 5 })).status).toBe(403);
    expect((await call('PUT', null, { dailyUsd: 5 })).status).toBe(401);
    expect((await call('GET', null)).status).toBe(401);
    expect((await call('PUT', admin(), { dailyUsd: -1 })).status).toBe(400);
    expect((await call('PUT', admin(), { dailyUsd: 'lots' })).status).toBe(400);
  });
});
