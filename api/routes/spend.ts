import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { UserEvent } from '../../domain/user/events.js';
import { windowBounds } from '../../domain/user/quota.js';
import { type SpendPolicy, spendSummary } from '../../domain/user/spend.js';
import { userStateFrom } from '../../domain/user/state.js';
import { StreamNotFoundError } from '../../eventstore/port.js';
import type { Config } from '../../infra/config.js';
import { aiSpendBetween } from '../../projections/daily-stats/spend.js';
import { NotFoundError } from '../plugins/error-handler.js';
import { readResponses, STAFF_SECURITY } from '../schemas/common.js';
import { SpendOverview, UserSpend } from '../schemas/spend.js';
import { PhoneParams } from '../schemas/users.js';
import { aiBudgetView } from './settings.js';

export interface SpendRoutesOptions {
  config: Pick<Config, 'AI_DAILY_BUDGET_USD'>;
  policy: SpendPolicy;
  now?: () => Date;
}

/** Cost against the caps: everyone's (Overview) and one person's (user page). Amounts only, no text or numbers. */
const spend: FastifyPluginAsyncTypebox<SpendRoutesOptions> = async (app, options) => {
  const now = options.now ?? (() => new Date());
  const staff = app.requireRole(['admin', 'ops', 'analyst']);
  const caps = (tier: keyof SpendPolicy) => ({
    dayUsd: options.policy[tier].dayUsd ?? null,
    monthUsd: options.policy[tier].monthUsd ?? null,
  });

  app.get(
    '/api/analytics/spend',
    {
      onRequest: staff,
      schema: {
        summary: "Today's and this month's AI spend of everyone, against the daily budget and each tier's caps",
        tags: ['analytics'],
        security: STAFF_SECURITY,
        response: readResponses(SpendOverview),
      },
    },
    async () => {
      const at = now();
      const monthStart = windowBounds('month', at).start.toISOString().slice(0, 10);
      const [budget, spentThisMonthUsd] = await Promise.all([
        aiBudgetView(app.eventStore, app.pg, options.config, at),
        aiSpendBetween(app.pg, monthStart, at.toISOString().slice(0, 10)),
      ]);
      return { budget, spentThisMonthUsd, caps: { free: caps('free'), premium: caps('premium') } };
    },
  );

  app.get(
    '/api/users/:phone/spend',
    {
      onRequest: staff,
      schema: {
        summary: "One person's AI spend today and this month against their tier's caps (from their user stream)",
        tags: ['users'],
        security: STAFF_SECURITY,
        params: PhoneParams,
        response: readResponses(UserSpend, { notFound: true }),
      },
    },
    async (request) => {
      const events = await app.eventStore.readStream(`user-${request.params.phone}`).catch((error: unknown) => {
        if (error instanceof StreamNotFoundError) return undefined;
        throw error;
      });
      if (!events) throw new NotFoundError('No such user');
      const state = userStateFrom(events as unknown as UserEvent[]);
      const at = now();
      const summary = spendSummary(state.spend, at);
      const tierCaps = caps(state.tier);
      const last = state.spend.hits.at(-1);
      const monthStart = windowBounds('month', at).start.toISOString();
      return {
        tier: state.tier,
        day: { ...summary.day, capUsd: tierCaps.dayUsd, resetsAt: windowBounds('day', at).end.toISOString() },
        month: { ...summary.month, capUsd: tierCaps.monthUsd, resetsAt: windowBounds('month', at).end.toISOString() },
        lastCapHit:
          last && last.windowStart >= monthStart
            ? { scope: last.scope, window: last.window, windowStart: last.windowStart }
            : null,
      };
    },
  );
};

export default spend;
