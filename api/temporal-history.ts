import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow/index.js';
import proto from '@temporalio/proto';
import type { WorkflowSummary } from './schemas/tasks.js';

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
type Failure = proto.temporal.api.failure.v1.IFailure;
const { EventType } = proto.temporal.api.enums.v1;

/** How long a task page waits for Temporal before saying it is unavailable. */
const HISTORY_DEADLINE_MS = 3_000;

/** EVENT_TYPE_ACTIVITY_TASK_FAILED -> ActivityTaskFailed, the names the Temporal UI shows. */
const typeName = (type: number | null | undefined) =>
  (EventType[type ?? 0] ?? 'Unknown')
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/**
 * The workflow's history in brief: event types and times, each activity's attempts and last
 * failure, and the failures recorded, their texts decrypted with the client's codecs.
 */
export async function workflowSummary(client: Client, workflowId: string): Promise<WorkflowSummary> {
  let history: proto.temporal.api.history.v1.IHistory;
  let status: string;
  try {
    const handle = client.workflow.getHandle(workflowId);
    const fetch = client.withDeadline(Date.now() + HISTORY_DEADLINE_MS, async () => {
      const [description, events] = await Promise.all([handle.describe(), handle.fetchHistory()]);
      return [events, description.status.name] as const;
    });
    // The gRPC deadline does not cover (re)connecting to a server that is down; this does.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${HISTORY_DEADLINE_MS} ms`)), HISTORY_DEADLINE_MS);
    });
    fetch.catch(() => {}); // settled after the timeout: nothing is waiting for it any more
    [history, status] = await Promise.race([fetch, timeout]).finally(() => clearTimeout(timer));
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      return { available: false, error: `Temporal has no workflow ${workflowId} (not started yet, or past retention)` };
    }
    return { available: false, error: `Temporal unavailable: ${(error as Error).message}` };
  }
  // Failure texts are encrypted like payloads; the client's data converter (with its codecs) reads them.
  const converter = client.options.loadedDataConverter;
  const messageOf = async (failure: Failure | null | undefined) => {
    if (!failure) return '';
    try {
      return (await decodeOptionalFailureToOptionalError(converter, failure))?.message ?? failure.message ?? '';
    } catch {
      return failure.message ?? '';
    }
  };
  return { available: true, workflowId, status, ...(await summarise(history.events ?? [], messageOf)) };
}

async function summarise(events: HistoryEvent[], messageOf: (failure: Failure | null | undefined) => Promise<string>) {
  const activities = new Map<string, WorkflowActivity>();
  const byScheduledId = new Map<number, WorkflowActivity>();
  const failures: { eventId: number; type: string; message: string }[] = [];
  let localActivityMarkers = 0;
  const summary: { id: number; type: string; time: string | null }[] = [];
  for (const event of events) {
    const id = Number(event.eventId ?? 0);
    const type = typeName(event.eventType);
    const ms = optionalTsToMs(event.eventTime);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const activity: WorkflowActivity = {
        activityId: scheduled.activityId ?? String(id),
        name: scheduled.activityType?.name ?? 'unknown',
        attempts: 0,
        status: 'scheduled',
        lastFailure: null,
      };
      activities.set(activity.activityId, activity);
      byScheduledId.set(id, activity);
    }
    const started = event.activityTaskStartedEventAttributes;
    const startedActivity = started && byScheduledId.get(Number(started.scheduledEventId));
    if (started && startedActivity) {
      startedActivity.status = 'started';
      startedActivity.attempts = Math.max(startedActivity.attempts, started.attempt ?? 1);
      if (started.lastFailure) startedActivity.lastFailure = await messageOf(started.lastFailure);
    }
    const ended =
      (event.activityTaskCompletedEventAttributes && (['completed', null] as const)) ||
      (event.activityTaskFailedEventAttributes &&
        (['failed', event.activityTaskFailedEventAttributes.failure] as const)) ||
      (event.activityTaskTimedOutEventAttributes &&
        (['timed_out', event.activityTaskTimedOutEventAttributes.failure] as const)) ||
      (event.activityTaskCanceledEventAttributes && (['canceled', null] as const));
    if (ended) {
      const attrs =
        event.activityTaskCompletedEventAttributes ??
        event.activityTaskFailedEventAttributes ??
        event.activityTaskTimedOutEventAttributes ??
        event.activityTaskCanceledEventAttributes;
      const activity = byScheduledId.get(Number(attrs?.scheduledEventId));
      const message = ended[1] ? await messageOf(ended[1]) : null;
      if (activity) {
        activity.status = ended[0];
        if (message) activity.lastFailure = message;
      }
      if (message !== null) failures.push({ eventId: id, type, message });
    }
    if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') localActivityMarkers++;
    const workflowFailure =
      event.workflowExecutionFailedEventAttributes?.failure ?? event.workflowTaskFailedEventAttributes?.failure;
    if (workflowFailure) failures.push({ eventId: id, type, message: await messageOf(workflowFailure) });
    summary.push({ id, type, time: ms === undefined ? null : new Date(ms).toISOString() });
  }
  return { events: summary, activities: [...activities.values()], localActivityMarkers, failures };
}

type WorkflowActivity = Extract<WorkflowSummary, { available: true }>['activities'][number];
