import { approxCharsFor, systemPrompt } from '../domain/classifier/prompts.js';
import { measure } from '../domain/sms/segments.js';
import { CATEGORIES, type Category } from '../domain/sms-task/events.js';
import type { AiClient, ChatMessage } from './ai-client.js';
import { contentText } from './chat-message.js';

/** The model name recorded on AiResponseGenerated; it has no price, and its tokens are 0. */
export const DEMO_MODEL = 'demo';
/** Opens every answer, so nobody mistakes a canned reply for an AI's. Plain GSM-7. */
export const DEMO_LABEL = '[demo model: no AI configured]';
const HOW_TO = 'Set OPENAI_API_KEY or OPENAI_BASE_URL for real answers.';

const WHAT_A_MODEL_WOULD_DO: Record<Category, string> = {
  coding: 'A real model would answer with the smallest code snippet that does it, naming the language.',
  debug: 'A real model would name the most likely cause first, then the fix.',
  design: 'A real model would recommend one design and the one or two trade-offs that matter.',
  documentation: 'A real model would explain it plainly, with one example.',
  analysis: 'A real model would give the conclusion first, then the figures behind it.',
  general: 'A real model would answer it directly.',
};

/** "tell me in detail", "a long answer", "explain everything": the demo then answers past the budget, so MORE has something to send. */
const WANTS_LONG = /\b(long|longer|detail(ed|s)?|in depth|everything|elaborate|thorough(ly)?|step by step)\b/iu;

/**
 * The embedded default AI, as the simulator is Twilio's: deterministic (the same messages give the
 * same answer), instant and free. It reads what the activity sends a real model: the category from
 * the system prompt, the budget stated in it, and the conversation's earlier turns.
 */
export function createDemoModel(): AiClient {
  return {
    async complete({ messages, maxTokens }) {
      return { model: DEMO_MODEL, text: demoAnswer(messages, maxTokens), promptTokens: 0, completionTokens: 0 };
    },
  };
}

export function demoAnswer(messages: ChatMessage[], maxTokens?: number): string {
  const system = contentText(messages.find((m) => m.role === 'system')?.content ?? '');
  const category = categoryOf(system);
  const budget = budgetOf(system, maxTokens);
  const users = messages.filter((m) => m.role === 'user').map((m) => contentText(m.content));
  const question = users.at(-1) ?? '';
  const previous = users.at(-2);

  if (WANTS_LONG.test(question)) return longAnswer(category, question, budget.approxChars);
  // The quotes are shortened until the whole answer fits the segment budget (an emoji in them makes it UCS-2).
  for (const quoteLength of [80, 50, 30, 15, 0]) {
    const text = [
      `${DEMO_LABEL} Category: ${category}.`,
      quoteLength > 0 ? `You asked: "${clip(question, quoteLength)}".` : '',
      previous !== undefined && quoteLength > 0 ? `Before that you asked: "${clip(previous, quoteLength)}".` : '',
      WHAT_A_MODEL_WOULD_DO[category],
      HOW_TO,
    ]
      .filter(Boolean)
      .join(' ');
    if (measure(text).segments <= budget.maxSegments) return text;
  }
  return DEMO_LABEL;
}

/** About two and a half budgets of numbered parts: the reply is cut and MORE sends the rest. */
function longAnswer(category: Category, question: string, approxChars: number): string {
  const parts = [`${DEMO_LABEL} Category: ${category}. A long answer, as asked, to "${clip(question, 40)}".`];
  for (let n = 1; parts.join(' ').length < approxChars * 2.5; n++) {
    parts.push(
      `Part ${n}. ${WHAT_A_MODEL_WOULD_DO[category]} This demo text only fills the room a long answer takes, so you can try MORE.`,
    );
  }
  parts.push(`The end. ${HOW_TO}`);
  return parts.join(' ');
}

/** The category whose role line opens the system prompt (domain/classifier/prompts.ts builds it). */
function categoryOf(system: string): Category {
  const probe = { maxSegments: 1, approxChars: approxCharsFor(1) };
  return CATEGORIES.find((c) => system.startsWith(systemPrompt(c, probe).split('\n')[0] ?? '\u0000')) ?? 'general';
}

/**
 * The budget the system prompt states ("under about 459 characters (3 SMS segments)"); else what
 * maxTokens allows (generateAnswer asks for about half a token per character, plus 200); else one segment.
 */
function budgetOf(system: string, maxTokens?: number): { maxSegments: number; approxChars: number } {
  const segments = /\((\d+) SMS segments?\)/u.exec(system);
  const fromTokens = maxTokens !== undefined ? Math.floor(((maxTokens - 200) * 2) / 153) : 0;
  const maxSegments = segments ? Math.max(1, Number(segments[1])) : Math.max(1, fromTokens);
  const chars = /under about (\d+) characters/u.exec(system);
  return { maxSegments, approxChars: chars ? Number(chars[1]) : approxCharsFor(maxSegments) };
}

/**
 * Explicit directional formatting (embeddings, overrides and isolates, U+202A-U+202E and
 * U+2066-U+2069). A quote is the sender's text set inside our sentence: a right-to-left override
 * typed with no closing PDF would run on through the rest of the answer on their phone (and in the
 * dashboard), reversing it. The marks (LRM, RLM, ALM) only hint and stay.
 */
const BIDI_FORMATTING = /[\u202A-\u202E\u2066-\u2069]/gu;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Single line, at most `max` characters (user-perceived), cut at a word when it can be. */
function clip(text: string, max: number): string {
  // By grapheme, so an emoji (a skin tone, a ZWJ sequence, a flag) is never cut in half.
  const line = Array.from(
    graphemes.segment(text.replace(BIDI_FORMATTING, '').replace(/\s+/gu, ' ').trim()),
    (g) => g.segment,
  );
  if (line.length <= max) return line.join('');
  const cut = line.slice(0, max - 3).join('');
  const word = cut.lastIndexOf(' ');
  return `${(word > max / 2 ? cut.slice(0, word) : cut).trimEnd()}...`;
}
