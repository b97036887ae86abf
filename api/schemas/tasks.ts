import { type Static, Type } from '@sinclair/typebox';
import { IsoTime, Nullable, Page } from '../../projections/shared/view.js';
import { TaskFilter, TaskView } from '../../projections/tasks/queries.js';

export const TaskListQuery = Type.Composite([
  TaskFilter,
  Type.Object({
    /** csv: the same rows as a CSV download, every page of them (limit and cursor ignored). */
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
  }),
]);
export type TaskListQuery = Static<typeof TaskListQuery>;

export const TaskList = Page(TaskView);

export const MessageSidParams = Type.Object({ messageSid: Type.String({ minLength: 1, maxLength: 64 }) });

/** One domain event of the task's stream, in stream order. */
export const TimelineEvent = Type.Object({
  id: Type.String(),
  type: Type.String(),
  revision: Type.Integer(),
  recordedAt: IsoTime,
  occurredAt: Nullable(Type.String()),
  data: Type.Unknown(),
  metadata: Type.Unknown(),
});
export type TimelineEvent = Static<typeof TimelineEvent>;

const HistoryEvent = Type.Object({ id: Type.Integer(), type: Type.String(), time: Nullable(IsoTime) });
const ActivitySummary = Type.Object({
  activityId: Type.String(),
  name: Type.String(),
  /** The highest attempt started (Temporal records only the last attempt's started event). */
  attempts: Type.Integer(),
  status: Type.Union(
    ['scheduled', 'started', 'completed', 'failed', 'timed_out', 'canceled'].map((s) => Type.Literal(s)),
  ),
  lastFailure: Nullable(Type.String()),
});

export const WorkflowSummary = Type.Union([
  Type.Object({
    available: Type.Literal(true),
    workflowId: Type.String(),
    status: Type.String(),
    events: Type.Array(HistoryEvent),
    activities: Type.Array(ActivitySummary),
    /** Local activities (the quick steps) run in the worker; history holds only their markers. */
    localActivityMarkers: Type.Integer(),
    failures: Type.Array(Type.Object({ eventId: Type.Integer(), type: Type.String(), message: Type.String() })),
  }),
  Type.Object({ available: Type.Literal(false), error: Type.String() }),
]);
export type WorkflowSummary = Static<typeof WorkflowSummary>;

/** An MMS media item as the task page shows it: never its URL or its bytes. */
export const TaskMedia = Type.Object({
  index: Type.Integer({ minimum: 0, description: 'N of MediaUrlN' }),
  contentType: Type.String(),
  sizeBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'once fetched for the AI (MediaFetched)' })),
  sha256: Type.Optional(Type.String({ description: 'hex, once fetched for the AI (MediaFetched)' })),
});

export const TaskDetail = Type.Object({
  task: TaskView,
  /** The MMS's media (empty for an SMS). */
  media: Type.Array(TaskMedia),
  events: Type.Array(TimelineEvent),
  workflow: WorkflowSummary,
  temporalUiUrl: Type.String(),
});
