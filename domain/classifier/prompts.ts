import type { Category } from '../sms-task/events.js';

export interface ReplyBudget {
  maxSegments: number;
  /** Roughly how many characters the reply may use; see approxCharsFor. */
  approxChars: number;
}

/** Plain GSM-7 characters that fit maxSegments (153 per part once a text is split). */
export function approxCharsFor(maxSegments: number): number {
  return maxSegments <= 1 ? 160 : 153 * maxSegments;
}

const ROLE: Record<Category, string> = {
  coding:
    'You help with programming. Give the smallest code that answers the question; ' +
    'prefer one short snippet over several, and name the language.',
  debug:
    'You help debug software. Name the most likely cause first, then the fix. ' +
    'Ask for the exact error message only if nothing can be said without it.',
  design:
    'You help with software and system design. Give a recommendation and the one or two trade-offs that matter most.',
  documentation: 'You explain and write documentation. Explain plainly, with one example when it helps understanding.',
  analysis:
    'You help analyse data and compare options. State the conclusion first, then the key figures or reasons behind it.',
  general: 'You are a helpful, friendly assistant. Answer directly and accurately.',
};

/** The system prompt for a category: its role, plus the SMS rules and the length budget. */
export function systemPrompt(category: Category, budget: ReplyBudget): string {
  return [
    ROLE[category],
    'Your answer is sent as SMS text messages to a phone.',
    `Keep the whole answer under about ${budget.approxChars} characters ` +
      `(${budget.maxSegments} SMS segment${budget.maxSegments === 1 ? '' : 's'}); lead with the answer.`,
    'Write plain text: no markdown, no headings, no tables, no emoji. ' +
      'Use straight quotes and simple punctuation, because other characters make SMS longer.',
    'If the question is unclear, ask one short clarifying question instead of guessing.',
  ].join('\n');
}
