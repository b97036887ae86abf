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

/** One action taken through the admin API. */
export const AuditEntryView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  occurredAt: IsoTime,
  actorName: S,
  actorRole: S,
  actorKind: S,
  /** The event type: TierChanged, UserOptedOut, TaskRetrySignalled, ... */
  action: S,
  /** The stream it was appended to: user-<phone>, sms-<MessageSid>, projection-<name>, ... */
  target: S,
  reason: Nullable(S),
  details: Type.Record(S, Type.Unknown()),
});
export type AuditEntryView = Static<typeof AuditEntryView>;

export const AuditFilter = Type.Object({
  /** An actor's name, exactly (an email, a token's name, ADMIN_API_TOKEN). */
  actor: Type.Optional(Type.String({ maxLength: 320 })),
  /** An event type, exactly. */
  action: Type.Optional(Type.String({ maxLength: 100 })),
  /** Inclusive lower bound on the time of the action. */
  from: Type.Optional(IsoTime),
  /** Exclusive upper bound. */
  to: Type.Optional(IsoTime),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
});
export type AuditFilter = Static<typeof AuditFilter>;

export function auditQueries(db: Queryable, schema: string) {
  const auditLog = qualified(schema, 'audit_log');
  return {
    /** Newest first. */
    async listAudit(filter: AuditFilter = {}): Promise<PageOf<AuditEntryView>> {
      const limit = clampLimit(filter.limit);
      const q = conditions();
      if (filter.actor) q.where(`actor_name = ${q.add(filter.actor)}`);
      if (filter.action) q.where(`action = ${q.add(filter.action)}`);
      if (filter.from) q.where(`occurred_at >= ${q.add(filter.from)}::timestamptz`);
      if (filter.to) q.where(`occurred_at < ${q.add(filter.to)}::timestamptz`);
      if (filter.cursor) {
        const [at, id] = decodeCursor(filter.cursor);
        q.where(`(occurred_at, id) < (${q.add(at)}::timestamptz, ${q.add(id)}::uuid)`);
      }
      const rows = await selectRows<AuditEntryView>(
        db,
        `SELECT id, occurred_at, actor_name, actor_role, actor_kind, action, target, reason, details
         FROM ${auditLog} ${q.sql} ORDER BY occurred_at DESC, id DESC LIMIT ${limit + 1}`,
        q.values,
      );
      return toPage(rows, limit, (r) => encodeCursor(r.occurredAt, r.id));
    },
  };
}
