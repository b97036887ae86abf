import type { Keyword } from '../sms-task/events.js';
import type { RateWindow } from '../user/events.js';

export type { Keyword };

/** The carrier-standard opt-out words (CTIA / Twilio default), then ours. */
const KEYWORDS: Record<string, Keyword> = {
  STOP: 'STOP',
  STOPALL: 'STOP',
  UNSUBSCRIBE: 'STOP',
  END: 'STOP',
  QUIT: 'STOP',
  CANCEL: 'STOP',
  REVOKE: 'STOP',
  OPTOUT: 'STOP',
  START: 'START',
  UNSTOP: 'START',
  HELP: 'HELP',
  INFO: 'HELP',
  RESET: 'RESET',
  MORE: 'MORE',
};

export interface KeywordContext {
  /**
   * Whether the sender is currently opted out. Twilio's default opt-in list includes YES, so an
   * opted-out sender texting YES is re-subscribed at the carrier level; we follow it then. For a
   * subscribed sender YES is an ordinary answer to the assistant ("yes, show me"), not a keyword.
   */
  optedOut?: boolean;
  /** Upper-case words that ask for a person (AGENT_KEYWORDS); none when not given. */
  agentWords?: readonly string[];
}

export interface DetectedKeyword {
  keyword: Keyword;
  /** The word as the sender typed it, trimmed and without trailing punctuation ("Stop"). */
  word: string;
}

const TRAILING_PUNCTUATION = /[.!?,;:]+$/u;

/**
 * The keyword a message is, if it is one: a single word, any case, surrounding whitespace and
 * trailing punctuation tolerated ("stop.", " Stop! "). "stop the bot" is a question, not a keyword.
 */
export function detectKeyword(body: string, context: KeywordContext = {}): DetectedKeyword | undefined {
  const word = body.trim().replace(TRAILING_PUNCTUATION, '');
  if (word.length === 0 || /\s/u.test(word)) return undefined;
  const upper = word.toUpperCase();
  const keyword =
    KEYWORDS[upper] ??
    (upper === 'YES' && context.optedOut ? 'START' : undefined) ??
    (context.agentWords?.includes(upper) ? 'AGENT' : undefined);
  return keyword ? { keyword, word } : undefined;
}

// The fixed texts are plain GSM-7 and fit one segment (HELP: two), checked by the unit tests.

export const HELP_TEXT =
  'AI assistant by SMS: text any question to get an answer. Reply MORE for the rest of a long answer, ' +
  'RESET to start over, STOP to unsubscribe. Msg&data rates may apply.';

export const STOP_CONFIRMATION =
  'You are unsubscribed and will receive no further messages from this number. Reply START to resubscribe.';

export const START_CONFIRMATION =
  'You are resubscribed. Text any question to get an answer. Reply HELP for help, STOP to unsubscribe.';

export const RESET_CONFIRMATION = 'Conversation cleared. Your next message starts a fresh conversation.';

export const NOTHING_MORE_TEXT = 'There is nothing more to send: the last answer was complete. Text a new question!';

export const AGENT_CONFIRMATION =
  'Thanks, we have asked a person to look at your conversation. They will reply here as soon as they can.';

/** AGENT_KEYWORDS ("agent, human") as the upper-case words detectKeyword matches. */
export const parseAgentKeywords = (list: string): string[] =>
  list
    .split(',')
    .map((w) => w.trim().toUpperCase())
    .filter((w) => w !== '');

export const ERROR_TEXT =
  'Sorry, something went wrong while answering your message. Please try again in a few minutes.';

export interface RateLimitTextOptions {
  /** IANA zone used for "tomorrow" and dates; the sender's zone is unknown, so UTC by default. */
  timeZone?: string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * When the sender may come back, in words: "in a few seconds", "in about 40 seconds",
 * "in about 5 minutes", "in about 3 hours", "tomorrow", "on Dec 1".
 * Relative wording up to 20 hours is right in every time zone; beyond that we name the day.
 */
export function describeWhen(retryAt: Date, now: Date, options: RateLimitTextOptions = {}): string {
  const ms = retryAt.getTime() - now.getTime();
  if (ms <= 5 * SECOND) return 'in a few seconds';
  if (ms < 90 * SECOND) return `in about ${Math.ceil(ms / (10 * SECOND)) * 10} seconds`;
  if (ms < 90 * MINUTE) return plural('in about', Math.round(ms / MINUTE), 'minute');
  if (ms < 20 * HOUR) return plural('in about', Math.round(ms / HOUR), 'hour');
  const timeZone = options.timeZone ?? 'UTC';
  const day = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(d); // YYYY-MM-DD
  if (day(retryAt) === day(new Date(now.getTime() + 24 * HOUR))) return 'tomorrow';
  return `on ${new Intl.DateTimeFormat('en-US', { timeZone, month: 'short', day: 'numeric' }).format(retryAt)}`;
}

const plural = (prefix: string, n: number, unit: string) => `${prefix} ${n} ${unit}${n === 1 ? '' : 's'}`;

/** The one polite SMS a sender gets when a window's limit stops their message. */
export function rateLimitText(
  window: RateWindow,
  retryAt: Date,
  now: Date,
  options: RateLimitTextOptions = {},
): string {
  const when = describeWhen(retryAt, now, options);
  switch (window) {
    case 'minute':
      return `You are texting faster than I can answer. Please wait and send your message again ${when}.`;
    case 'day':
      return `You have reached today's message limit. Please come back ${when}. Thanks for understanding!`;
    case 'month':
      return `You have reached this month's message limit. It resets ${when}. Thanks for understanding!`;
  }
}
