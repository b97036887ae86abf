import { api, call } from '../api/client.js';
import type { paths } from '../api/schema.js';
import type { GroupBy, Range } from './range.js';
import { type SeriesData, toSeries } from './series.js';

type Metric = NonNullable<paths['/api/analytics/timeseries']['get']['parameters']['query']>['metric'];
export type Summary = paths['/api/analytics/summary']['get']['responses'][200]['content']['application/json'];

export interface Charts {
  sms: SeriesData;
  successRate: SeriesData;
  latency: SeriesData;
  tokens: SeriesData;
  cost: SeriesData;
}

const span = (range: Range) => ({ from: range.from, ...(range.to ? { to: range.to } : {}) });

export const readSummary = (range: Range) =>
  call('Reading the summary', () => api.GET('/api/analytics/summary', { params: { query: span(range) } }));

async function series(range: Range, metric: Metric, emptyValue: 0 | null, groupBy?: GroupBy, to?: string) {
  const answer = await call(`Reading the ${metric.replace('_', ' ')} series`, () =>
    api.GET('/api/analytics/timeseries', {
      params: { query: { metric, interval: range.interval, ...span(range), ...(groupBy ? { groupBy } : {}) } },
    }),
  );
  return toSeries(answer.points, { interval: range.interval, from: range.from, to: to ?? range.to ?? '', emptyValue });
}

/** Every chart of the Overview, read at once (six calls, in parallel). */
export async function readCharts(range: Range, groupBy: GroupBy, now: Date): Promise<Charts> {
  const to = range.to ?? now.toISOString();
  const [sms, successRate, p50, p95, tokens, cost] = await Promise.all([
    series(range, 'sms', 0, undefined, to),
    series(range, 'success_rate', null, undefined, to),
    series(range, 'latency_p50', null, undefined, to),
    series(range, 'latency_p95', null, undefined, to),
    series(range, 'tokens', 0, groupBy, to),
    series(range, 'cost', 0, groupBy, to),
  ]);
  const named = (data: SeriesData, label: string) => data.series.map((s) => ({ ...s, label }));
  return {
    sms,
    successRate,
    latency: { buckets: p50.buckets, series: [...named(p50, 'p50'), ...named(p95, 'p95')] },
    tokens,
    cost,
  };
}
