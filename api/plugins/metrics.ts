import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { READ_MODELS } from '../../projections/registry.js';
import { readCheckpoints } from '../../projections/runtime/checkpoints.js';
import { filterFor } from '../../projections/runtime/events.js';
import { measureLag } from '../../projections/runtime/lag.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import { registerPipelineMetrics } from './pipeline-metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

/**
 * Prometheus metrics: HTTP requests by route and status (webhook answers apart), per projection
 * its lag and throughput, computed from the checkpoints table on each scrape (the projector may run
 * in another process), and the pipeline's figures from the read models (./pipeline-metrics.ts).
 */
export default fp(
  async (app: FastifyInstance) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'sms_agent_' });
    const requests = new Counter({
      name: 'sms_agent_http_requests_total',
      help: 'HTTP requests by route and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'sms_agent_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    // Twilio's view of us: counted here, in the API process that answers it (each replica is scraped).
    const webhookAnswers = new Counter({
      name: 'sms_agent_webhook_responses_total',
      help: 'answers to the Twilio webhooks (/sms/*), by route and status code',
      labelNames: ['route', 'status'],
      registers: [registry],
    });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      requests.inc({ method: request.method, route, status: String(reply.statusCode) });
      duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      if (route.startsWith('/sms/')) webhookAnswers.inc({ route, status: String(reply.statusCode) });
    });
    registerPipelineMetrics(registry, app.pg);

    // One read of the projection state per scrape, shared by the gauges (prom-client collects
    // them concurrently).
    type Snapshot = { name: string; lag: Awaited<ReturnType<typeof measureLag>>; processed: number }[];
    let cached: { at: number; value: Promise<Snapshot | undefined> } | undefined;
    const snapshot = () => {
      if (!cached || Date.now() - cached.at > 1_000) {
        cached = {
          at: Date.now(),
          value: (async () => {
            try {
              const rows = await readCheckpoints(app.pg, READ_MODEL_SCHEMA);
              return await Promise.all(
                READ_MODELS.map(async (model) => {
                  const row = rows.find((r) => r.name === model.name);
                  const lag = await measureLag(app.eventStore, row?.checkpoint ?? null, filterFor(model));
                  return { name: model.name, lag, processed: row?.eventsProcessed ?? 0 };
                }),
              );
            } catch {
              return undefined;
            }
          })(),
        };
      }
      return cached.value;
    };
    const projectionGauge = (name: string, help: string, pick: (s: Snapshot[number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['projection'],
        registers: [registry],
        async collect() {
          for (const p of (await snapshot()) ?? []) this.set({ projection: p.name }, pick(p));
        },
      });
    projectionGauge(
      'sms_agent_projection_lag_events',
      'events not yet projected (counted up to 10,000)',
      (p) => p.lag.events,
    );
    projectionGauge('sms_agent_projection_lag_seconds', 'age of the oldest unprojected event', (p) => p.lag.seconds);
    projectionGauge(
      'sms_agent_projection_events_processed',
      'events projected, as recorded with the checkpoint',
      (p) => p.processed,
    );
    new Gauge({
      name: 'sms_agent_projection_up',
      help: '1 when the projection state could be read',
      registers: [registry],
      async collect() {
        this.set((await snapshot()) ? 1 : 0);
      },
    });

    // Tasks waiting for ops and tasks given up, from daily_stats (a small table: days x categories x tiers).
    const taskCounts = async () => {
      const { rows } = await app.pg.query<{ failed: string; abandoned: string }>(
        `SELECT coalesce(sum(failed), 0) AS failed, coalesce(sum(abandoned), 0) AS abandoned FROM ${READ_MODEL_SCHEMA}.daily_stats`,
      );
      return { failed: Number(rows[0]?.failed ?? 0), abandoned: Number(rows[0]?.abandoned ?? 0) };
    };
    new Gauge({
      name: 'sms_agent_tasks_needing_attention',
      help: 'tasks that failed for good and wait for a retry signal from ops',
      registers: [registry],
      async collect() {
        this.set((await taskCounts().catch(() => undefined))?.failed ?? Number.NaN);
      },
    });
    new Gauge({
      name: 'sms_agent_tasks_abandoned',
      help: 'tasks whose retry window ended with no retry (TaskAbandoned), all time',
      registers: [registry],
      async collect() {
        this.set((await taskCounts().catch(() => undefined))?.abandoned ?? Number.NaN);
      },
    });

    app.decorate('metrics', registry);
    app.get('/metrics', { onRequest: app.operatorOnly }, async (_request, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
    );
  },
  { name: 'metrics', dependencies: ['postgres', 'event-store', 'operator-access'] },
);
