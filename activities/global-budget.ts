import { AI_BUDGET_STREAM, type AiBudgetChanged } from '../domain/settings/events.js';
import type { GlobalBudget } from '../domain/user/spend.js';
import { type EventStore, StreamNotFoundError } from '../eventstore/port.js';
import type { Config } from '../infra/config.js';
import { aiSpendOn } from '../projections/daily-stats/spend.js';
import type { Queryable } from '../projections/shared/sql.js';

export interface GlobalBudgetReader {
  /** Today's budget and everyone's spend so far; undefined when there is no budget. */
  read(now: Date): Promise<GlobalBudget | undefined>;
}

/** The budget in force: the latest AiBudgetChanged on the settings stream, else AI_DAILY_BUDGET_USD. */
export async function currentAiBudget(
  store: EventStore,
  config: Pick<Config, 'AI_DAILY_BUDGET_USD'>,
): Promise<{ dailyUsd: number | undefined; source: 'settings' | 'config' }> {
  try {
    const [latest] = await store.readStream(AI_BUDGET_STREAM, { direction: 'backwards', maxCount: 1 });
    if (latest?.type === 'AiBudgetChanged') {
      return { dailyUsd: (latest.data as AiBudgetChanged['data']).dailyUsd ?? undefined, source: 'settings' };
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return { dailyUsd: config.AI_DAILY_BUDGET_USD, source: 'config' };
}

/**
 * How a worker knows everyone's spend today without serialising every SMS on one stream: the
 * budget (settings stream) and the day's sum (daily_stats) are read at most once per
 * AI_BUDGET_CACHE_SECONDS and shared by every SMS in that time. The price is overshoot: answers
 * still count as unspent while they are in flight, while the projector has not yet applied them
 * (usually well under a second) and for up to the cache time, so the day can end over the budget
 * by about (calls in flight + spend per second x (cache seconds + projector lag)).
 */
export function createGlobalBudgetReader(options: {
  store: EventStore;
  config: Pick<Config, 'AI_DAILY_BUDGET_USD' | 'AI_BUDGET_CACHE_SECONDS'>;
  readModels?: Queryable;
}): GlobalBudgetReader {
  const { store, config, readModels } = options;
  const ttlMs = config.AI_BUDGET_CACHE_SECONDS * 1000;
  let cached: { atMs: number; day: string; value: GlobalBudget | undefined } | undefined;
  let reading: Promise<GlobalBudget | undefined> | undefined;

  async function load(day: string): Promise<GlobalBudget | undefined> {
    const { dailyUsd } = await currentAiBudget(store, config);
    if (dailyUsd === undefined) return undefined;
    if (!readModels) throw new Error('a daily AI budget is set but the worker has no read-model database to sum spend');
    return { dailyUsd, spentTodayUsd: await aiSpendOn(readModels, day) };
  }

  return {
    async read(now) {
      const day = now.toISOString().slice(0, 10);
      if (cached && cached.day === day && now.getTime() - cached.atMs < ttlMs) return cached.value;
      // Concurrent SMS share one read instead of each querying.
      reading ??= load(day).finally(() => {
        reading = undefined;
      });
      const value = await reading;
      cached = { atMs: now.getTime(), day, value };
      return value;
    },
  };
}
