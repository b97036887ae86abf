import { formatDate } from '../format.js';
import type { UserDetail } from './types.js';

export type TakeoverState = NonNullable<UserDetail['takeover']>;

/** The banner over a taken-over conversation: who has it and until when (the AI answers again after). */
export const takeoverBanner = (takeover: TakeoverState, timeZone?: string) =>
  `Taken over by ${takeover.by} until ${formatDate(takeover.until, timeZone)}`;

/** The SMS limit the API enforces (1..1600, not blank): the compose box says what is wrong before sending. */
export const MAX_REPLY_CHARS = 1600;
export function replyProblem(text: string): string | undefined {
  if (text.trim() === '') return 'Write something first.';
  if ([...text].length > MAX_REPLY_CHARS) return `At most ${MAX_REPLY_CHARS} characters.`;
  return undefined;
}
