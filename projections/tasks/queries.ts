import { type Static, Type } from '@sinclair/typebox';
import { type Queryable, qualified } from '../shared/sql.js';
import {
  clampLimit,
  conditions,
  decodeCursor,
  encodeCursor,
  IsoTime,
  Nullable,
  type PageOf,
  selectRows,
  toPage,
} from '../shared/view.js';

const S = Type.String();
const N = Type.Number();
const I = Type.Integer();

/** One task as the API serves it (tasks table, camelCase). */
export const TaskView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  messageSid: S,
  userPhone: Nullable(S),
  smsContent: Nullable(S),
  aiResponse: Nullable(S),
  category: Nullable(S),
  priority: Nullable(S),
  complexityScore: Nullable(N),
  classifier: Nullable(S),
  keyword: Nullable(S),
  /** received | classified | rate_limited | answering | replied | completed | failed | retrying */
  status: S,
  outcome: Nullable(S),
  success: Nullable(Type.Boolean()),
  model: Nullable(S),
  fallbackUsed: Nullable(Type.Boolean()),
  promptTokens: Nullable(I),
  completionTokens: Nullable(I),
  tokensUsed: Nullable(I),
  costUsd: Nullable(N),
  aiLatencyMs: Nullable(I),
  /** ms from SmsReceived to TaskCompleted (the seed design's processing_time). */
  processingTime: Nullable(I),
  replyKind: Nullable(S),
  replyCount: I,
  segments: I,
  providerMessageSid: Nullable(S),
  deliveryStatus: Nullable(S),
  deliveryErrorCode: Nullable(S),
  deliveryUpdatedAt: Nullable(IsoTime),
  errorType: Nullable(S),
  errorMessage: Nullable(S),
  failedStep: Nullable(S),
  attempts: I,
  rounds: I,
  failures: I,
  rateLimitWindow: Nullable(S),
  rateLimitRetryAt: Nullable(IsoTime),
  createdAt: Nullable(IsoTime),
  completedAt: Nullable(IsoTime),
  failedAt: Nullable(IsoTime),
  updatedAt: IsoTime,
  metadata: Type.Record(S, Type.Unknown()),
});
export type TaskView = Static<typeof TaskView>;

export const TASK_STATUSES = [
  'received',
  'classified',
  'rate_limited',
  'answering',
  'replied',
  'completed',
  'failed',
  'retrying',
  'abandoned',
] as const;

export const TaskFilter = Type.Object({
  status: Type.Optional(Type.Union(TASK_STATUSES.map((s) => Type.Literal(s)))),
  category: Type.Optional(S),
  phone: Type.Optional(S),
  /** created_at >= from */
  from: Type.Optional(IsoTime),
  /** created_at < to */
  to: Type.Optional(IsoTime),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(S),
});
export type TaskFilter = Static<typeof TaskFilter>;

const COLUMNS = `id, message_sid, user_phone, sms_content, ai_response, category, priority, complexity_score,
  classifier, keyword, status, outcome, success, model, fallback_used, prompt_tokens, completion_tokens, tokens_used,
  cost_usd, ai_latency_ms, processing_time, reply_kind, reply_count, segments, provider_message_sid, delivery_status,
  delivery_error_code, delivery_updated_at, error_type, error_message, failed_step, attempts, rounds, failures,
  rate_limit_window, rate_limit_retry_at, created_at, completed_at, failed_at, updated_at, metadata`;

export function taskQueries(db: Queryable, schema: string) {
  const tasks = qualified(schema, 'tasks');
  return {
    /** Newest first; filters combine with AND. */
    async listTasks(filter: TaskFilter = {}): Promise<PageOf<TaskView>> {
      const limit = clampLimit(filter.limit);
      const q = conditions();
      if (filter.status) q.where(`status = ${q.add(filter.status)}`);
      if (filter.category) q.where(`category = ${q.add(filter.category)}`);
      if (filter.phone) q.where(`user_phone = ${q.add(filter.phone)}`);
      if (filter.from) q.where(`created_at >= ${q.add(filter.from)}`);
      if (filter.to) q.where(`created_at < ${q.add(filter.to)}`);
      if (filter.cursor) {
        const [at, sid] = decodeCursor(filter.cursor);
        q.where(`(created_at, message_sid) < (${q.add(at)}::timestamptz, ${q.add(sid)})`);
      }
      const rows = await selectRows<TaskView>(
        db,
        `SELECT ${COLUMNS} FROM ${tasks} ${q.sql} ORDER BY created_at DESC, message_sid DESC LIMIT ${limit + 1}`,
        q.values,
      );
      return toPage(rows, limit, (r) => encodeCursor(r.createdAt, r.messageSid));
    },

    async getTask(messageSid: string): Promise<TaskView | null> {
      const rows = await selectRows<TaskView>(db, `SELECT ${COLUMNS} FROM ${tasks} WHERE message_sid = $1`, [
        messageSid,
      ]);
      return rows[0] ?? null;
    },

    /** How many tasks are in each status (for the dashboard's counters), optionally since a time. */
    async countTasksByStatus(options: { from?: string } = {}): Promise<Record<string, number>> {
      const rows = await selectRows<{ status: string; count: number }>(
        db,
        `SELECT status, count(*) AS count FROM ${tasks} WHERE $1::timestamptz IS NULL OR created_at >= $1 GROUP BY status`,
        [options.from ?? null],
      );
      return Object.fromEntries(rows.map((r) => [r.status, r.count]));
    },
  };
}
