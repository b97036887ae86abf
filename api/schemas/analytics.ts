import { Type } from '@sinclair/typebox';
import {
  AnalyticsSummary,
  TIMESERIES_GROUPS,
  TIMESERIES_METRICS,
  TimeseriesPoint,
} from '../../projections/daily-stats/queries.js';
import { IsoTime } from '../../projections/shared/view.js';

const Range = {
  /** Tasks created at or after. */
  from: Type.Optional(IsoTime),
  /** Tasks created before. */
  to: Type.Optional(IsoTime),
};

export const SummaryQuery = Type.Object(Range);
export { AnalyticsSummary };

export const TimeseriesQuery = Type.Object({
  metric: Type.Union(TIMESERIES_METRICS.map((m) => Type.Literal(m))),
  groupBy: Type.Optional(Type.Union(TIMESERIES_GROUPS.map((g) => Type.Literal(g)))),
  interval: Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'day' }),
  ...Range,
});

export const Timeseries = Type.Object({
  metric: Type.String(),
  groupBy: Type.Union([Type.String(), Type.Null()]),
  interval: Type.String(),
  points: Type.Array(TimeseriesPoint),
});
