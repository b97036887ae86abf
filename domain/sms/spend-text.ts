import type { SpendScope, SpendWindow } from '../user/spend.js';
import { describeWhen } from './keywords.js';

/** The one polite SMS a sender gets when a spend cap holds their message back (no amounts: those are ours). */
export function spendCapText(scope: SpendScope, window: SpendWindow, retryAt: Date, now: Date): string {
  const when = describeWhen(retryAt, now);
  if (scope === 'global') {
    return `Sorry, the assistant is taking a break for today. Please send your question again ${when}. Thanks for your patience!`;
  }
  return window === 'day'
    ? `You have used today's share of answers. Please come back ${when}. Thanks for understanding!`
    : `You have used this month's share of answers. It resets ${when}. Thanks for understanding!`;
}
