/** Pure rules of the user page: delivery ticks, quota bars, how a message reads. */

export interface Tick {
  /** What is drawn: one or two checks, a clock, a cross. */
  symbol: string;
  /** What it means, for screen readers and the tooltip. */
  label: string;
  tone: 'muted' | 'ok' | 'danger';
}

/**
 * Twilio's message statuses as a phone shows them: queued (accepted, queued, sending, scheduled),
 * sent, delivered (delivered, read), failed (failed, undelivered, canceled). No status: no report yet.
 */
export function deliveryTick(status: string | null | undefined, errorCode?: string | null): Tick {
  switch (status) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
    case 'sending':
      return { symbol: '🕓', label: 'Queued', tone: 'muted' };
    case 'sent':
      return { symbol: '✓', label: 'Sent', tone: 'muted' };
    case 'delivered':
    case 'read':
      return { symbol: '✓✓', label: 'Delivered', tone: 'ok' };
    case 'failed':
    case 'undelivered':
    case 'canceled':
      return { symbol: '✕', label: errorCode ? `Failed (error ${errorCode})` : 'Failed', tone: 'danger' };
    default:
      return { symbol: '·', label: 'No delivery report yet', tone: 'muted' };
  }
}

/** A quota bar's fill, 0 to 100; a zero limit is full as soon as anything is used. */
export function usagePercent(used: number, limit: number): number {
  if (limit <= 0) return used > 0 ? 100 : 0;
  return Math.min(100, Math.max(0, Math.round((used / limit) * 100)));
}

/** Near the limit (three quarters) or over it: the bar changes colour. */
export const usageTone = (used: number, limit: number): 'ok' | 'warn' | 'danger' =>
  used >= limit ? 'danger' : usagePercent(used, limit) >= 75 ? 'warn' : 'ok';

const WINDOW_WORDS: Record<string, string> = { minute: 'This minute', day: 'Today', month: 'This month' };
export const windowLabel = (window: string) => WINDOW_WORDS[window] ?? window;

/** A message's text; analysts get null from the API (texts withheld) and are told so. */
export const messageText = (body: string | null | undefined, withheld: boolean) =>
  body ?? (withheld ? 'Text withheld' : 'No text');
