import { Type } from '@sinclair/typebox';
import { Tier } from '../../domain/user/events.js';
import { Reason } from './actions.js';

const Usd = Type.Number({ minimum: 0, description: 'USD, estimated from tokens and the price table' });
const Cap = Type.Union([Usd, Type.Null()], { description: 'null: no cap' });

/** Everyone's daily AI budget and today's spend against it. */
export const AiBudget = Type.Object({
  /** The UTC day the spend is for. */
  day: Type.String({ format: 'date' }),
  dailyUsd: Cap,
  /** 'settings': set through PUT /api/settings/ai-budget; 'config': AI_DAILY_BUDGET_USD (or none). */
  source: Type.Union([Type.Literal('settings'), Type.Literal('config')]),
  spentTodayUsd: Usd,
  /** True when today's spend reached the budget: the AI is paused for everyone until midnight UTC. */
  paused: Type.Boolean(),
});

export const AiBudgetBody = Type.Object(
  {
    dailyUsd: Type.Union([Type.Number({ minimum: 0, maximum: 1_000_000 }), Type.Null()], {
      description: 'USD per UTC day for everyone; null removes the budget',
    }),
    reason: Reason,
  },
  { additionalProperties: false },
);

const TierCaps = Type.Object({ dayUsd: Cap, monthUsd: Cap });

/** Cost against the caps for the Overview: today's and this month's spend, the caps of each tier, the budget. */
export const SpendOverview = Type.Object({
  budget: AiBudget,
  /** Everyone's spend in the current UTC month. */
  spentThisMonthUsd: Usd,
  caps: Type.Object({ free: TierCaps, premium: TierCaps }),
});

const SpendWindow = Type.Object({
  spentUsd: Usd,
  /** Estimates held for answers still being written. */
  reservedUsd: Usd,
  capUsd: Cap,
  resetsAt: Type.String({ format: 'date-time' }),
});

/** One person's AI spend against their tier's caps, from their user stream (what the worker decides on). */
export const UserSpend = Type.Object({
  tier: Tier,
  day: SpendWindow,
  month: SpendWindow,
  /** The latest SMS held back by a cap this month: which cap, and the start of the window it was held in. */
  lastCapHit: Type.Union([
    Type.Object({
      scope: Type.Union([Type.Literal('user'), Type.Literal('global')]),
      window: Type.Union([Type.Literal('day'), Type.Literal('month')]),
      windowStart: Type.String({ format: 'date-time' }),
    }),
    Type.Null(),
  ]),
});
