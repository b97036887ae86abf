import { approxCharsFor, systemPrompt } from '../domain/classifier/prompts.js';
import { AiBudgetExhausted, aiBudgetExhaustedStream } from '../domain/settings/events.js';
import { CATEGORIES } from '../domain/sms-task/events.js';
import { estimateCostUsd } from '../domain/sms-task/pricing.js';
import { decideSpend, type SpendDecision } from '../domain/user/spend.js';
import type { UserState } from '../domain/user/state.js';
import { WrongExpectedVersionError } from '../eventstore/port.js';
import { aiPrices, spendPolicy } from '../infra/config.js';
import type { ActivityDeps } from './deps.js';
import { appendEvents } from './event-log.js';
import { createGlobalBudgetReader, type GlobalBudgetReader } from './global-budget.js';

/** The AI call's token ceiling (generateAnswer asks for this many at most). */
export const maxCompletionTokens = (maxSegments: number) => Math.ceil(approxCharsFor(maxSegments) / 2) + 200;

/**
 * The spend side of the rate check (domain/user/spend.ts): the caps of the sender's tier, a
 * conservative reservation, and everyone's daily budget.
 */
export function createSpendCheck(deps: ActivityDeps) {
  const { config, store, logger } = deps;
  const policy = spendPolicy(config);
  const prices = aiPrices(config);
  const budget: GlobalBudgetReader =
    deps.globalBudget ?? createGlobalBudgetReader({ store, config, readModels: deps.readModels });
  const models = [config.OPENAI_MODEL, config.OPENAI_MODEL_CODING, config.OPENAI_FALLBACK_MODEL].filter(
    (m): m is string => m !== undefined,
  );
  const longestPrompt = Math.max(
    ...CATEGORIES.map(
      (c) =>
        systemPrompt(c, {
          maxSegments: config.REPLY_MAX_SEGMENTS,
          approxChars: approxCharsFor(config.REPLY_MAX_SEGMENTS),
        }).length,
    ),
  );

  /**
   * The most one AI call for this SMS can cost: every prompt character a token (a token is never
   * shorter than a character; real text runs about 4 per token), plus per-message overhead, and the
   * whole completion ceiling, at the dearest configured model. One call, not AI_MAX_CALLS_PER_SMS:
   * a failed call is rarely billed, and reserving for every retry would hold back most of a small cap.
   */
  function reserveUsd(state: UserState, body: string): number {
    const turns = state.conversation.slice(-config.CONVERSATION_TURNS);
    const chars = longestPrompt + body.length + turns.reduce((n, t) => n + t.question.length + t.answer.length, 0);
    const promptTokens = chars + 4 * (2 + 2 * turns.length) + 3;
    const completion = maxCompletionTokens(config.REPLY_MAX_SEGMENTS);
    return Math.max(...models.map((m) => estimateCostUsd(m, promptTokens, completion, prices)));
  }

  return {
    async decide(state: UserState, input: { messageSid: string; body: string }, now: Date): Promise<SpendDecision> {
      const global = await budget.read(now);
      return decideSpend(state.spend, {
        messageSid: input.messageSid,
        now,
        caps: policy[state.tier],
        reserveUsd: reserveUsd(state, input.body),
        global,
      });
    },

    /** Once per UTC day (the first worker to append wins): tell ops the AI paused for everyone. */
    async alertBudgetReached(now: Date): Promise<void> {
      const global = await budget.read(now);
      if (!global) return;
      const day = now.toISOString().slice(0, 10);
      try {
        await appendEvents(
          store,
          aiBudgetExhaustedStream(day),
          [
            {
              type: AiBudgetExhausted.type,
              step: 'budget-exhausted',
              data: { day, dailyUsd: global.dailyUsd, spentUsd: global.spentTodayUsd },
            },
          ],
          { correlationId: aiBudgetExhaustedStream(day), round: 0, now },
          'no_stream',
        );
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) return; // another SMS got there first
        throw error;
      }
      const text =
        `Today's AI spend is $${global.spentTodayUsd.toFixed(4)} against a budget of $${global.dailyUsd.toFixed(4)}: ` +
        'no AI answers for anyone until midnight UTC; each texter gets one notice. An admin can raise it ' +
        '(PUT /api/settings/ai-budget).';
      // The event is the record; a lost alert is logged rather than failing a texter's SMS.
      await deps.alerts
        .send({ title: 'Daily AI budget reached', text, workflowId: aiBudgetExhaustedStream(day), fields: { day } })
        .catch((error: Error) => logger.error({ err: error }, 'daily AI budget alert failed'));
    },
  };
}
