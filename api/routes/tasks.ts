import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify';
import { summarizeMedia } from '../../domain/sms/media.js';
import type { MediaFetched, SmsReceived } from '../../domain/sms-task/events.js';
import { createReadModelQueries } from '../../projections/queries.js';
import type { TaskView } from '../../projections/tasks/queries.js';
import { NotFoundError } from '../plugins/error-handler.js';
import { isAnalyst, redactForAnalyst } from '../redact.js';
import { readResponses, STAFF_SECURITY } from '../schemas/common.js';
import { MessageSidParams, TaskDetail, TaskList, TaskListQuery, type TimelineEvent } from '../schemas/tasks.js';
import { workflowSummary } from '../temporal-history.js';

export interface TaskRoutesOptions {
  /** Base URL of the Temporal UI (TEMPORAL_UI_URL), for links to a task's run. */
  temporalUiUrl: string;
  namespace: string;
}

/** Columns of the CSV export: the task row's scalars, in this order. */
// biome-ignore format: one list, read across
const CSV_COLUMNS: (keyof TaskView)[] = [
  'messageSid', 'createdAt', 'completedAt', 'status', 'outcome', 'success', 'userPhone', 'category', 'priority',
  'complexityScore', 'model', 'fallbackUsed', 'promptTokens', 'completionTokens', 'tokensUsed', 'costUsd',
  'aiLatencyMs', 'processingTime', 'replyKind', 'replyCount', 'segments', 'deliveryStatus', 'deliveryErrorCode',
  'errorType', 'errorMessage', 'failedStep', 'attempts', 'rounds', 'failures', 'smsContent', 'aiResponse',
];

const tasks: FastifyPluginAsyncTypebox<TaskRoutesOptions> = async (app, options) => {
  const queries = createReadModelQueries(app.pg);
  const staff = app.requireRole(['admin', 'ops', 'analyst']);

  app.get(
    '/api/tasks',
    {
      onRequest: staff,
      schema: {
        summary: 'List tasks, newest first (cursor pagination); format=csv streams every matching row as CSV',
        tags: ['tasks'],
        security: STAFF_SECURITY,
        querystring: TaskListQuery,
        response: readResponses(TaskList),
      },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query;
      const analyst = isAnalyst(request);
      const searchBodies = !analyst;
      if (format !== 'csv') return queries.listTasks(filter, { searchBodies });

      // Every page, 500 rows at a time, straight into the response: no export is held in memory.
      async function* rows() {
        let cursor: string | undefined;
        do {
          const page = await queries.listTasks({ ...filter, limit: 500, cursor }, { searchBodies });
          for (const task of page.items) yield analyst ? redactForAnalyst(task) : task;
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      }
      const csv = Readable.from(rows()).pipe(
        stringify({ header: true, columns: CSV_COLUMNS, cast: { boolean: (v) => String(v) } }),
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="tasks.csv"')
        .send(csv);
    },
  );

  app.get(
    '/api/tasks/:messageSid',
    {
      onRequest: staff,
      schema: {
        summary: "One task: its row, its domain events in order, and its Temporal workflow's history in brief",
        tags: ['tasks'],
        security: STAFF_SECURITY,
        params: MessageSidParams,
        response: readResponses(TaskDetail, { notFound: true }),
      },
    },
    async (request) => {
      const { messageSid } = request.params;
      const task = await queries.getTask(messageSid);
      if (!task) throw new NotFoundError(`No task ${messageSid}`);
      const workflowId = `sms-${messageSid}`;
      const [recorded, workflow] = await Promise.all([
        app.eventStore.readStream(workflowId),
        workflowSummary(app.temporal, workflowId),
      ]);
      const events: TimelineEvent[] = recorded.map((e) => ({
        id: e.id,
        type: e.type,
        revision: Number(e.revision),
        recordedAt: e.recordedAt.toISOString(),
        occurredAt: e.metadata.occurredAt ?? null,
        data: e.data,
        metadata: e.metadata,
      }));
      const base = options.temporalUiUrl.replace(/\/$/, '');
      const received = recorded.find((e) => e.type === 'SmsReceived')?.data as SmsReceived['data'] | undefined;
      const fetched = recorded.find((e) => e.type === 'MediaFetched')?.data as MediaFetched['data'] | undefined;
      return {
        task,
        media: summarizeMedia(received?.media, fetched?.media),
        events,
        workflow,
        temporalUiUrl: `${base}/namespaces/${encodeURIComponent(options.namespace)}/workflows/${encodeURIComponent(workflowId)}`,
      };
    },
  );
};

export default tasks;
