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

/** A task waiting for ops, with the error that stopped it. */
export const FailedTaskView = Type.Object({
  task: TaskView,
  lastError: Nullable(
    Type.Object({
      id: S,
      type: S,
      message: S,
      step: S,
      attempts: I,
      round: I,
      createdAt: IsoTime,
      /** Closed by an operator (POST /api/errors/:id/resolve); the task may still wait for a retry. */
      resolved: Type.Boolean(),
    }),
  ),
});
export type FailedTaskView = Static<typeof FailedTaskView>;

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

/** Bounded filter strings: an oversized value is a 400, never a slow query. */
const Short = Type.String({ minLength: 1, maxLength: 64 });

export const TaskFilter = Type.Object({
  status: Type.Optional(Type.Union(TASK_STATUSES.map((s) => Type.Literal(s)))),
  category: Type.Optional(Short),
  /** The sender's tier when the SMS arrived (the daily-stats facts), not their tier today. */
  tier: Type.Optional(Short),
  phone: Type.Optional(Short),
  /** created_at >= from */
  from: Type.Optional(IsoTime),
  /** created_at < to */
  to: Type.Optional(IsoTime),
  /** Case-insensitive text: message sid, model, error type and message, and (for admins and ops) SMS and answer. */
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});
export type TaskFilter = Static<typeof TaskFilter>;

/** `q` as a LIKE pattern that matches its characters literally. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const COLUMNS = `id, message_sid, user_phone, sms_content, ai_response, category, priority, complexity_score,
  classifier, keyword, status, outcome, success, model, fallback_used, prompt_tokens, completion_tokens, tokens_used,
  cost_usd, ai_latency_ms, processing_time, reply_kind, reply_count, segments, provider_message_sid, delivery_status,
  delivery_error_code, delivery_updated_at, error_type, error_message, failed_step, attempts, rounds, failures,
  rate_limit_window, rate_limit_retry_at, created_at, completed_at, failed_at, updated_at, metadata`;

export function taskQueries(db: Queryable, schema: string) {
  const tasks = qualified(schema, 'tasks');
  const facts = qualified(schema, 'daily_stats_tasks');
  const errorLogs = qualified(schema, 'error_logs');

  /** Failed tasks with their last error: one query for the list and for the live stream's items. */
  async function selectFailedTasks(where: string, values: unknown[], tail: string): Promise<FailedTaskView[]> {
    const rows = await selectRows<TaskView & { lastError: FailedTaskView['lastError'] }>(
      db,
      `SELECT ${COLUMNS.split(',')
        .map((c) => `t.${c.trim()}`)
        .join(', ')},
         (SELECT json_build_object('id', e.id, 'type', e.type, 'message', e.message, 'step', e.step,
                   'attempts', e.attempts, 'round', e.round, 'createdAt', e.created_at,
                   'resolved', e.resolved)
            FROM ${errorLogs} e WHERE e.task_message_sid = t.message_sid
            ORDER BY e.created_at DESC, e.id DESC LIMIT 1) AS last_error
       FROM ${tasks} t ${where} ${tail}`,
      values,
    );
    return rows.map(({ lastError, ...task }) => ({ task: task as TaskView, lastError: lastError ?? null }));
  }

  return {
    /**
     * Newest first; filters combine with AND. `searchBodies: false` keeps `q` off the SMS and the
     * answer (analysts see neither, so they must not be able to probe them by searching).
     */
    async listTasks(filter: TaskFilter = {}, options: { searchBodies?: boolean } = {}): Promise<PageOf<TaskView>> {
      const limit = clampLimit(filter.limit);
      const q = conditions();
      if (filter.status) q.where(`status = ${q.add(filter.status)}`);
      if (filter.category) q.where(`category = ${q.add(filter.category)}`);
      if (filter.tier) {
        q.where(
          `EXISTS (SELECT 1 FROM ${facts} f WHERE f.message_sid = ${tasks}.message_sid AND f.tier = ${q.add(filter.tier)})`,
        );
      }
      if (filter.phone) q.where(`user_phone = ${q.add(filter.phone)}`);
      if (filter.q) {
        const p = q.add(likePattern(filter.q));
        const fields = ['message_sid', 'model', 'error_type', 'error_message'];
        if (options.searchBodies !== false) fields.push('sms_content', 'ai_response');
        q.where(`(${fields.map((f) => `${f} ILIKE ${p}`).join(' OR ')})`);
      }
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

    /**
     * Tasks waiting for an operator (status failed), newest first, each with its latest error
     * from error_logs (null while that projection has not caught up).
     */
    async listFailedTasks(filter: { limit?: number; cursor?: string } = {}): Promise<PageOf<FailedTaskView>> {
      const limit = clampLimit(filter.limit);
      const q = conditions();
      q.where(`t.status = 'failed'`);
      if (filter.cursor) {
        const [at, sid] = decodeCursor(filter.cursor);
        q.where(`(t.created_at, t.message_sid) < (${q.add(at)}::timestamptz, ${q.add(sid)})`);
      }
      const items = await selectFailedTasks(
        q.sql,
        q.values,
        `ORDER BY t.created_at DESC, t.message_sid DESC LIMIT ${limit + 1}`,
      );
      return toPage(items, limit, (r) => encodeCursor(r.task.createdAt, r.task.messageSid));
    },

    /** These tasks as listTasks shows them (the live stream's rows); unknown sids are left out. */
    async getTasksBySid(messageSids: readonly string[]): Promise<TaskView[]> {
      if (messageSids.length === 0) return [];
      return selectRows<TaskView>(db, `SELECT ${COLUMNS} FROM ${tasks} WHERE message_sid = ANY($1::text[])`, [
        messageSids,
      ]);
    },

    /** Those of these tasks that are waiting for an operator, as listFailedTasks shows them. */
    async getFailedTasksBySid(messageSids: readonly string[]): Promise<FailedTaskView[]> {
      if (messageSids.length === 0) return [];
      return selectFailedTasks(`WHERE t.status = 'failed' AND t.message_sid = ANY($1::text[])`, [messageSids], '');
    },

    /** What one person's tasks have cost so far: tasks, tokens, USD. */
    async costForPhone(phone: string): Promise<{ tasks: number; tokens: number; costUsd: number }> {
      const rows = await selectRows<{ tasks: number; tokens: number; costUsd: number }>(
        db,
        `SELECT count(*) AS tasks, coalesce(sum(tokens_used), 0)::bigint AS tokens,
           coalesce(sum(cost_usd), 0)::numeric AS cost_usd
         FROM ${tasks} WHERE user_phone = $1`,
        [phone],
      );
      return rows[0] ?? { tasks: 0, tokens: 0, costUsd: 0 };
    },
  };
}
