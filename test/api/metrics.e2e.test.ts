import { describe, expect, it } from 'vitest';
import { AI_LATENCY_BUCKETS_S } from '../../api/plugins/pipeline-metrics.js';
import type { RecordedEvent } from '../../eventstore/port.js';
import { migrateReadModels } from '../../projections/migrate.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import { useSmsStack } from '../support/sms-stack.js';
import { dataOf, nextPhone, untilStep } from '../workflows/helpers.js';
import { useProjections } from './actions/helpers.js';

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
    // Nobody projects in this stack: the task's events wait, and the gauge says so. The log shows
    // an append once no older transaction in the cluster is still open (the PostgreSQL store's
    // horizon), and another test file's transaction can hold that for a moment: 3 of the 5 were
    // counted once in a full run. So scrape again (the snapshot lives 1 s) until all are counted.
    await expect
      .poll(
        async () =>
          metricValue(
            await (await fetch(`${stack.apiUrl}/metrics`)).text(),
            'sms_agent_projection_lag_events{projection="tasks"}',
          ),
        {
          timeout: 15_000,
          interval: 300,
        },
      )
      .toBeGreaterThanOrEqual(5);
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

describe('GET /metrics: the pipeline, from the read models', () => {
  const stack = useSmsStack();
  useProjections(stack, ['tasks', 'messages']);
  const scrape = async () => (await fetch(`${stack.apiUrl}/metrics`)).text();

  it('given an answered SMS, a failed one and a keyword, then workflows, AI figures, SMS sent and webhook answers match what happened', async () => {
    const answered = await stack.sendSms({ from: nextPhone(), body: 'What is a monad?' });
    expect(await stack.handle(answered.sid).result()).toEqual({ outcome: 'answered' });
    const help = await stack.sendSms({ from: nextPhone(), body: 'HELP' });
    expect(await stack.handle(help.sid).result()).toEqual({ outcome: 'keyword' });
    // A key the AI refuses (401, not retried): the task fails for good and waits for ops.
    stack.openai.knobs.failAlways(401);
    const failed = await stack.sendSms({ from: nextPhone(), body: 'Explain monads again' });
    await untilStep(stack, failed.sid, 'needs_attention');
    stack.openai.knobs.heal();
    // A webhook that is not signed: 403, counted too.
    const forged = await fetch(`${stack.apiUrl}/sms/receive`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'MessageSid=SM00000000000000000000000000000001&From=%2B14155550100&To=%2B15005550006&Body=hi',
    });
    expect(forged.status).toBe(403);

    // What happened, from the log: the AI answer and every reply sent.
    const events: RecordedEvent[] = [];
    for (const sid of [answered.sid, help.sid, failed.sid]) events.push(...(await stack.events(`sms-${sid}`)));
    const [ai] = dataOf(events, 'AiResponseGenerated');
    if (!ai) throw new Error('no AiResponseGenerated for the answered SMS');
    expect(dataOf(events, 'AiResponseGenerated')).toHaveLength(1);
    const sentKinds = dataOf(events, 'ReplySent').map((r) => r.kind);
    expect(sentKinds).toContain('answer');
    expect(sentKinds).toContain('keyword');

    // Once the projections have applied it all:
    await expect
      .poll(async () => metricValue(await scrape(), 'sms_agent_workflows{status="failed"}'), { timeout: 20_000 })
      .toBe(1);
    await expect
      .poll(async () => metricValue(await scrape(), 'sms_agent_sms_sent_total{kind="keyword"}'), { timeout: 20_000 })
      .toBe(1);
    await new Promise((r) => setTimeout(r, 1_100)); // past the one-second cache of the figures
    const text = await scrape();
    expect(metricValue(text, 'sms_agent_workflows_started_total')).toBe(3);
    expect(metricValue(text, 'sms_agent_workflows_completed_total{outcome="answered"}')).toBe(1);
    expect(metricValue(text, 'sms_agent_workflows_completed_total{outcome="keyword"}')).toBe(1);
    expect(metricValue(text, 'sms_agent_workflows_failed_total')).toBe(1);
    expect(metricValue(text, 'sms_agent_workflows{status="completed"}')).toBe(2);

    const model = `model="${ai.model}"`;
    expect(metricValue(text, `sms_agent_ai_tokens_total{kind="prompt",${model}}`)).toBe(ai.promptTokens);
    expect(metricValue(text, `sms_agent_ai_tokens_total{kind="completion",${model}}`)).toBe(ai.completionTokens);
    expect(metricValue(text, `sms_agent_ai_cost_usd_total{${model}}`)).toBeCloseTo(ai.costUsd, 9);
    for (const le of AI_LATENCY_BUCKETS_S) {
      const expected = ai.latencyMs <= le * 1000 ? 1 : 0;
      expect(metricValue(text, `sms_agent_ai_latency_seconds_bucket{le="${le}"}`), `le=${le}`).toBe(expected);
    }
    expect(metricValue(text, 'sms_agent_ai_latency_seconds_bucket{le="+Inf"}')).toBe(1);
    expect(metricValue(text, 'sms_agent_ai_latency_seconds_count')).toBe(1);
    expect(metricValue(text, 'sms_agent_ai_latency_seconds_sum')).toBeCloseTo(ai.latencyMs / 1000, 6);

    for (const kind of new Set(sentKinds)) {
      expect(metricValue(text, `sms_agent_sms_sent_total{kind="${kind}"}`), kind).toBe(
        sentKinds.filter((k) => k === kind).length,
      );
    }
    expect(metricValue(text, 'sms_agent_webhook_responses_total{route="/sms/receive",status="200"}')).toBe(3);
    expect(metricValue(text, 'sms_agent_webhook_responses_total{route="/sms/receive",status="403"}')).toBe(1);
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
