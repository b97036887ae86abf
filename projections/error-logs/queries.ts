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
const I = Type.Integer();

/** One permanent task failure. */
export const ErrorLogView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: S,
  message: S,
  taskMessageSid: S,
  userPhone: Nullable(S),
  step: S,
  attempts: I,
  round: I,
  createdAt: IsoTime,
  resolved: Type.Boolean(),
  resolvedAt: Nullable(IsoTime),
  retryRequestedAt: Nullable(IsoTime),
  retryRequestedBy: Nullable(S),
});
export type ErrorLogView = Static<typeof ErrorLogView>;

export const ErrorFilter = Type.Object({
  resolved: Type.Optional(Type.Boolean()),
  messageSid: Type.Optional(S),
  phone: Type.Optional(S),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(S),
});
export type ErrorFilter = Static<typeof ErrorFilter>;

const COLUMNS = `id, type, message, task_message_sid, user_phone, step, attempts, round, created_at, resolved,
  resolved_at, retry_requested_at, retry_requested_by`;

export function errorLogQueries(db: Queryable, schema: string) {
  const errorLogs = qualified(schema, 'error_logs');
  return {
    async getError(id: string): Promise<ErrorLogView | null> {
      const rows = await selectRows<ErrorLogView>(db, `SELECT ${COLUMNS} FROM ${errorLogs} WHERE id = $1::uuid`, [id]);
      return rows[0] ?? null;
    },
    /** Newest first. */
    async listErrors(filter: ErrorFilter = {}): Promise<PageOf<ErrorLogView>> {
      const limit = clampLimit(filter.limit);
      const q = conditions();
      // Literal (not a parameter) so the planner can use the partial index of unresolved errors.
      if (filter.resolved !== undefined) q.where(filter.resolved ? 'resolved' : 'NOT resolved');
      if (filter.messageSid) q.where(`task_message_sid = ${q.add(filter.messageSid)}`);
      if (filter.phone) q.where(`user_phone = ${q.add(filter.phone)}`);
      if (filter.cursor) {
        const [at, id] = decodeCursor(filter.cursor);
        q.where(`(created_at, id) < (${q.add(at)}::timestamptz, ${q.add(id)}::uuid)`);
      }
      const rows = await selectRows<ErrorLogView>(
        db,
        `SELECT ${COLUMNS} FROM ${errorLogs} ${q.sql} ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`,
        q.values,
      );
      return toPage(rows, limit, (r) => encodeCursor(r.createdAt, r.id));
    },
  };
}
