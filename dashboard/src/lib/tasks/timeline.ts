/** Pure helpers of the Task detail page (unit-tested without the API client). */
import type { paths } from '../api/schema.js';

export type TaskDetail = paths['/api/tasks/{messageSid}']['get']['responses'][200]['content']['application/json'];
export type TimelineEvent = TaskDetail['events'][number];

/** A task waits for ops (the workflow's NEEDS_ATTENTION) while its row says failed. */
export const waitsForOps = (status: string) => status === 'failed';

/** What an event's data says in one line, for the timeline (the full data is one click away). */
export function eventSummary(event: Pick<TimelineEvent, 'type' | 'data'>): string {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const pick = (...keys: string[]) =>
    keys
      .filter((k) => data[k] !== undefined && data[k] !== null && typeof data[k] !== 'object')
      .map((k) => `${k} ${String(data[k])}`)
      .join(' · ');
  switch (event.type) {
    case 'TaskClassified':
      return pick('category', 'priority', 'model');
    case 'AiResponseGenerated':
      return pick('model', 'promptTokens', 'completionTokens', 'latencyMs');
    case 'ReplySent':
      return pick('segments', 'providerMessageSid');
    case 'TaskFailed':
      return pick('step', 'errorType', 'attempts', 'round');
    case 'TaskCompleted':
      return pick('outcome', 'processingMs');
    case 'TaskRetryRequested':
      return pick('requestedBy', 'round');
    case 'KeywordDetected':
      return pick('keyword');
    case 'RateLimited':
      return pick('window', 'limit', 'retryAt');
    case 'ReplyWithheld':
      return pick('kind', 'reason');
    case 'DeliveryStatusUpdated':
      return pick('status', 'errorCode');
    case 'MediaFetched':
      return Array.isArray(data.media) ? `${data.media.length} media fetched` : '';
    default:
      return '';
  }
}

/** A date and time to the second (a task's steps are seconds apart), in the browser's time zone or `timeZone`. */
export function formatTimestamp(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat('en-US', {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}
