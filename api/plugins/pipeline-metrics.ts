import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { Pool } from '../../infra/db.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';

/** Upper bounds (seconds) of the AI latency histogram: a fast model in 1 s, a slow one near the 60 s timeout. */
export const AI_LATENCY_BUCKETS_S = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60] as const;

interface PipelineFigures {
  started: number;
  failed: number;
  completed: { outcome: string | null; n: number }[];
  states: { status: string; n: number }[];
  ai: { model: string; prompt: number; completion: number; cost: number }[];
  latency: { count: number; sumMs: number; buckets: number[] };
  sent: { kind: string | null; n: number }[];
}

const S = READ_MODEL_SCHEMA;
// Bucket bounds are our constants (numbers), never input: safe to write into the SQL.
const BUCKET_COLUMNS = AI_LATENCY_BUCKETS_S.map(
  (b) => `count(*) FILTER (WHERE ai_latency_ms <= ${Math.round(b * 1000)})`,
).join(', ');
const FIGURES_SQL = `
SELECT
  (SELECT count(*) FROM ${S}.tasks)::bigint AS started,
  (SELECT coalesce(sum(failures), 0) FROM ${S}.tasks)::bigint AS failed,
  (SELECT coalesce(json_agg(c), '[]') FROM
    (SELECT outcome, count(*) AS n FROM ${S}.tasks WHERE status = 'completed' GROUP BY outcome) c) AS completed,
  (SELECT coalesce(json_agg(s), '[]') FROM (SELECT status, count(*) AS n FROM ${S}.tasks GROUP BY status) s) AS states,
  (SELECT coalesce(json_agg(a), '[]') FROM
    (SELECT model, sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion, sum(cost_usd) AS cost
       FROM ${S}.tasks WHERE model IS NOT NULL AND prompt_tokens IS NOT NULL GROUP BY model) a) AS ai,
  (SELECT json_build_object('count', count(ai_latency_ms), 'sumMs', coalesce(sum(ai_latency_ms), 0),
      'buckets', json_build_array(${BUCKET_COLUMNS}))
     FROM ${S}.tasks WHERE ai_latency_ms IS NOT NULL) AS latency,
  (SELECT coalesce(json_agg(m), '[]') FROM
    (SELECT kind, count(*) AS n FROM ${S}.messages WHERE direction = 'out' GROUP BY kind) m) AS sent`;

/**
 * The pipeline's figures, derived at scrape time from the read models (tasks and messages) in one
 * query, cached for a second and shared by every metric below. Why there: workers run as replicas
 * in other processes, so counting in a worker's memory would need every worker scraped and would
 * reset on restarts; the read models already hold outcome, tokens, cost, model, latency and every
 * SMS sent for every task, survive restarts, and agree with the dashboard's own figures. They lag
 * the log by the projection lag (sms_agent_projection_lag_seconds), which is the price.
 * Per task the tasks row keeps the tokens and cost of all its AI calls, but the model and latency
 * of the last one: the histogram has one observation per task answered by the AI.
 */
export function registerPipelineMetrics(registry: Registry, pg: Pool): void {
  let cached: { at: number; value: Promise<PipelineFigures | undefined> } | undefined;
  const figures = () => {
    if (!cached || Date.now() - cached.at > 1_000) {
      cached = {
        at: Date.now(),
        value: pg.query(FIGURES_SQL).then(
          ({ rows: [row] }) => ({
            started: Number(row.started),
            failed: Number(row.failed),
            completed: row.completed,
            states: row.states,
            ai: row.ai.map((a: Record<string, unknown>) => ({
              model: String(a.model),
              prompt: Number(a.prompt),
              completion: Number(a.completion),
              cost: Number(a.cost),
            })),
            latency: { ...row.latency, buckets: row.latency.buckets.map(Number) },
            sent: row.sent,
          }),
          // No read models (not migrated, database down): the figures are absent, the scrape still works.
          () => undefined,
        ),
      };
    }
    return cached.value;
  };
  // Totals from SQL: each collect replaces the counter's values with the read models' figures.
  const counter = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (f: PipelineFigures, set: (labels: Partial<Record<L, string>>, value: number) => void) => void,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const f = await figures();
        this.reset();
        if (f) fill(f, (labels, value) => this.inc(labels as never, value));
      },
    });

  counter('sms_agent_workflows_started_total', 'smsTask workflows started (one per inbound SMS)', [], (f, set) =>
    set({}, f.started),
  );
  counter(
    'sms_agent_workflows_completed_total',
    'smsTask workflows completed, by outcome (answered, keyword, rate_limited, opted_out, ...)',
    ['outcome'],
    (f, set) => {
      for (const c of f.completed) set({ outcome: c.outcome ?? 'unknown' }, Number(c.n));
    },
  );
  counter(
    'sms_agent_workflows_failed_total',
    'permanent task failures (TaskFailed); a task retried by ops and failing again counts again',
    [],
    (f, set) => set({}, f.failed),
  );
  counter(
    'sms_agent_ai_tokens_total',
    'AI tokens used, by kind (prompt, completion) and model',
    ['kind', 'model'],
    (f, set) => {
      for (const a of f.ai) {
        set({ kind: 'prompt', model: a.model }, a.prompt);
        set({ kind: 'completion', model: a.model }, a.completion);
      }
    },
  );
  counter('sms_agent_ai_cost_usd_total', 'AI cost in USD, by model', ['model'], (f, set) => {
    for (const a of f.ai) set({ model: a.model }, a.cost);
  });
  counter(
    'sms_agent_sms_sent_total',
    'SMS sent, by kind (answer, continuation, keyword, rate_limit, error, broadcast)',
    ['kind'],
    (f, set) => {
      for (const m of f.sent) set({ kind: m.kind ?? 'unknown' }, Number(m.n));
    },
  );
  new Gauge({
    name: 'sms_agent_workflows',
    help: 'tasks by current status (received, classified, answering, completed, failed, retrying, abandoned)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await figures())?.states ?? []) this.set({ status: s.status }, Number(s.n));
    },
  });
  registry.registerMetric(aiLatencyHistogram(figures));
}

/**
 * prom-client's Histogram only observes values one by one; these buckets come counted from SQL,
 * so the metric is a small object of prom-client's Metric interface that reports them as they are.
 */
function aiLatencyHistogram(figures: () => Promise<PipelineFigures | undefined>): Metric {
  const name = 'sms_agent_ai_latency_seconds';
  const help = 'AI call latency (the answer that was sent), one observation per task';
  const get = async () => {
    const f = await figures();
    const values = f
      ? [
          ...AI_LATENCY_BUCKETS_S.map((le, i) => ({
            metricName: `${name}_bucket`,
            labels: { le: String(le) },
            value: f.latency.buckets[i] ?? 0,
          })),
          { metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: f.latency.count },
          { metricName: `${name}_sum`, labels: {}, value: f.latency.sumMs / 1000 },
          { metricName: `${name}_count`, labels: {}, value: f.latency.count },
        ]
      : [];
    return { name, help, type: 'histogram' as const, aggregator: 'sum' as const, values };
  };
  return { name, help, get, reset() {}, labels: () => ({}), remove() {} } as unknown as Metric;
}
