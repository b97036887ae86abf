import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createReadModelQueries } from '../../projections/queries.js';
import { BadRequestError } from '../plugins/error-handler.js';
import { AnalyticsSummary, SummaryQuery, Timeseries, TimeseriesQuery } from '../schemas/analytics.js';
import { readResponses, STAFF_SECURITY } from '../schemas/common.js';

/** Hourly buckets over more than this many days would be a huge answer; ask for days instead. */
const MAX_HOURLY_RANGE_DAYS = 31;

const analytics: FastifyPluginAsyncTypebox = async (app) => {
  const queries = createReadModelQueries(app.pg);
  const staff = app.requireRole(['admin', 'ops', 'analyst']);
  const checkRange = (from?: string, to?: string) => {
    if (from && to && Date.parse(from) > Date.parse(to)) throw new BadRequestError('from must not be after to');
  };

  app.get(
    '/api/analytics/summary',
    {
      onRequest: staff,
      schema: {
        summary: 'SMS, answered, success rate, p50/p95 latency, tokens and cost of the tasks created in [from, to)',
        tags: ['analytics'],
        security: STAFF_SECURITY,
        querystring: SummaryQuery,
        response: readResponses(AnalyticsSummary),
      },
    },
    async (request) => {
      checkRange(request.query.from, request.query.to);
      return queries.analyticsSummary(request.query);
    },
  );

  app.get(
    '/api/analytics/timeseries',
    {
      onRequest: staff,
      schema: {
        summary: 'One metric per hour or day, optionally per category, tier (at the time of the SMS) or model',
        tags: ['analytics'],
        security: STAFF_SECURITY,
        querystring: TimeseriesQuery,
        response: readResponses(Timeseries),
      },
    },
    async (request) => {
      const { metric, groupBy, interval, from, to } = request.query;
      checkRange(from, to);
      if (interval === 'hour') {
        const span = (to ? Date.parse(to) : Date.now()) - (from ? Date.parse(from) : 0);
        if (!from || span > MAX_HOURLY_RANGE_DAYS * 86_400_000) {
          throw new BadRequestError(
            `interval=hour needs from, and at most ${MAX_HOURLY_RANGE_DAYS} days between from and to`,
          );
        }
      }
      const points = await queries.analyticsTimeseries({ metric, groupBy, interval, from, to });
      return { metric, groupBy: groupBy ?? null, interval, points };
    },
  );
};

export default analytics;
