import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { currentAiBudget } from '../../activities/global-budget.js';
import { AI_BUDGET_STREAM } from '../../domain/settings/events.js';
import type { EventStore } from '../../eventstore/port.js';
import type { Config } from '../../infra/config.js';
import { aiSpendOn } from '../../projections/daily-stats/spend.js';
import type { Queryable } from '../../projections/shared/sql.js';
import { actionContext, appendAction } from '../actions/append-action.js';
import { ACTION_ERRORS } from '../schemas/actions.js';
import { readResponses, STAFF_SECURITY } from '../schemas/common.js';
import { AiBudget, AiBudgetBody } from '../schemas/spend.js';

export interface SettingsRoutesOptions {
  config: Pick<Config, 'AI_DAILY_BUDGET_USD'>;
  now?: () => Date;
}

/** Everyone's daily AI budget now: the setting in force and today's spend (daily_stats). */
export async function aiBudgetView(
  store: EventStore,
  db: Queryable,
  config: SettingsRoutesOptions['config'],
  now: Date,
) {
  const day = now.toISOString().slice(0, 10);
  const [{ dailyUsd, source }, spentTodayUsd] = await Promise.all([currentAiBudget(store, config), aiSpendOn(db, day)]);
  return {
    day,
    dailyUsd: dailyUsd ?? null,
    source,
    spentTodayUsd,
    paused: dailyUsd !== undefined && spentTodayUsd >= dailyUsd,
  };
}

/**
 * Run-time settings. The daily AI budget: read by staff, changed by admins only; each change is an
 * AiBudgetChanged event with its actor on `settings-ai-budget` (so it is in the audit trail), and
 * workers pick it up within AI_BUDGET_CACHE_SECONDS.
 */
const settings: FastifyPluginAsyncTypebox<SettingsRoutesOptions> = async (app, options) => {
  const now = options.now ?? (() => new Date());
  const view = () => aiBudgetView(app.eventStore, app.pg, options.config, now());

  app.get(
    '/api/settings/ai-budget',
    {
      onRequest: app.requireRole(['admin', 'ops', 'analyst']),
      schema: {
        summary: "Everyone's daily AI budget and today's spend against it",
        tags: ['settings'],
        security: STAFF_SECURITY,
        response: readResponses(AiBudget),
      },
    },
    view,
  );

  app.put(
    '/api/settings/ai-budget',
    {
      onRequest: app.requireRole(['admin']),
      schema: {
        summary: "Sets everyone's daily AI budget (null removes it); overrides AI_DAILY_BUDGET_USD",
        tags: ['settings'],
        security: STAFF_SECURITY,
        body: AiBudgetBody,
        response: { 200: AiBudget, ...ACTION_ERRORS },
      },
    },
    async (request) => {
      const context = actionContext(request, request.body.reason);
      await appendAction(
        app.eventStore,
        AI_BUDGET_STREAM,
        { id: randomUUID(), type: 'AiBudgetChanged', data: { dailyUsd: request.body.dailyUsd } },
        context,
      );
      return view();
    },
  );
};

export default settings;
