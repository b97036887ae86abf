import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf } from '../events/envelope.js';

/** Events on the service's settings streams: changes an admin makes at run time (actor in metadata). */

/** Everyone's daily AI budget in USD, set through the admin API; null: no budget. Overrides AI_DAILY_BUDGET_USD. */
export const AiBudgetChanged = defineEvent(
  'AiBudgetChanged',
  Type.Object({ dailyUsd: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]) }),
);
/** Today's AI spend reached the budget: the first worker to see it appends this once per UTC day and alerts ops. */
export const AiBudgetExhausted = defineEvent(
  'AiBudgetExhausted',
  Type.Object({
    day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    dailyUsd: Type.Number({ minimum: 0 }),
    spentUsd: Type.Number({ minimum: 0 }),
  }),
);

export const settingsEvents = [AiBudgetChanged, AiBudgetExhausted] as const;

export type AiBudgetChanged = EventOf<typeof AiBudgetChanged>;
export type AiBudgetExhausted = EventOf<typeof AiBudgetExhausted>;
export type SettingsEvent = AiBudgetChanged | AiBudgetExhausted;

export const AI_BUDGET_STREAM = 'settings-ai-budget';
/** One stream per UTC day, appended with no_stream: exactly one worker wins and sends the alert. */
export const aiBudgetExhaustedStream = (day: string) => `settings-ai-budget-exhausted-${day}`;
