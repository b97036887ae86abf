import { describe, expect, it } from 'vitest';
import { migrateReadModels } from '../../projections/migrate.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import { useSmsStack } from '../support/sms-stack.js';

const metricValue = (text: string, metric: string) => {
  const line = text.split('\n').find((l) => l.startsWith(metric));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('GET /metrics', () => {
  const stack = useSmsStack();

  it('given an answered SMS and no projector running, reports the request and the projections lagging', async () => {
    await migrateReadModels(stack.config.DATABASE_URL ?? '');
    const sent = await stack.sendSms({ from: '+14155550177', body: 'What is a monad?' });
    await stack.handle(sent.sid).result();

    const response = await fetch(`${stack.apiUrl}/metrics`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(metricValue(text, 'sms_agent_http_requests_total{method="POST",route="/sms/receive",status="200"}')).toBe(1);
    expect(metricValue(text, 'sms_agent_projection_up')).toBe(1);
    // Nobody projects in this stack: the task's events wait, and the gauge says so.
    expect(metricValue(text, 'sms_agent_projection_lag_events{projection="tasks"}')).toBeGreaterThanOrEqual(5);
    expect(metricValue(text, 'sms_agent_projection_lag_seconds{projection="tasks"}')).toBeGreaterThan(0);
    expect(metricValue(text, 'sms_agent_projection_events_processed{projection="tasks"}')).toBe(0);
  });

  it('reports tasks waiting for ops and tasks abandoned, from daily_stats', async () => {
    await migrateReadModels(stack.config.DATABASE_URL ?? '');
    // Rows as the daily_stats projection writes them (its counting is tested in test/projections)
    await stack.pool.query(
      `INSERT INTO ${READ_MODEL_SCHEMA}.daily_stats (day, category, tier, received, completed, answered, failed,
         rate_limited, in_progress, tokens, cost_usd, abandoned)
       VALUES ('2026-01-10', 'coding', 'free', 9, 4, 4, 2, 0, 0, 0, 0, 3), ('2026-01-11', 'general', 'free', 1, 0, 0, 1, 0, 0, 0, 0, 1)`,
    );
    const text = await (await fetch(`${stack.apiUrl}/metrics`)).text();
    expect(metricValue(text, 'sms_agent_tasks_needing_attention')).toBe(3);
    expect(metricValue(text, 'sms_agent_tasks_abandoned')).toBe(4);
  });
});

describe('who may read /metrics and the detail of /ready', () => {
  const stack = useSmsStack({ METRICS_TOKEN: 'metrics-token-0123456789' });
  const get = (url: string, from: string, token?: string) =>
    stack.app.inject({
      method: 'GET',
      url,
      remoteAddress: from,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('given a caller on another host, then /metrics needs METRICS_TOKEN; from this host it needs none', async () => {
    expect((await get('/metrics', '10.1.2.3')).statusCode).toBe(401);
    expect((await get('/metrics', '10.1.2.3', 'wrong-token-0123456789')).statusCode).toBe(401);
    // X-Forwarded-For is anyone's to write: it does not make a caller local
    const spoofed = await stack.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '10.1.2.3',
      headers: { 'x-forwarded-for': '127.0.0.1' },
    });
    expect(spoofed.statusCode).toBe(401);
    expect((await get('/metrics', '10.1.2.3', 'metrics-token-0123456789')).statusCode).toBe(200);
    expect((await get('/metrics', '127.0.0.1')).statusCode).toBe(200);
  });

  it('given a caller on another host, then /ready answers its status code and word, and the checks only with the token', async () => {
    const remote = await get('/ready', '10.1.2.3');
    expect(remote.statusCode).toBe(200);
    expect(remote.json()).toEqual({ status: 'ready' });
    const withToken = await get('/ready', '10.1.2.3', 'metrics-token-0123456789');
    expect(withToken.json()).toMatchObject({ status: 'ready', checks: { postgres: { status: 'up' } } });
  });
});
