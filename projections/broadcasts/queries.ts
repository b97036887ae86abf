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

export const BroadcastStateSchema = Type.Union([
  Type.Literal('sending'),
  Type.Literal('completed'),
  Type.Literal('cancelled'),
]);

/** One broadcast as the read model has it (broadcasts table, camelCase). */
export const BroadcastRow = Type.Object({
  id: S,
  text: S,
  audience: Type.Union([
    Type.Object({ kind: Type.Literal('tier'), tier: S }),
    Type.Object({ kind: Type.Literal('phones'), count: I }),
  ]),
  startedBy: S,
  startedAt: IsoTime,
  state: BroadcastStateSchema,
  total: I,
  sent: I,
  skipped: I,
  failed: I,
  encoding: S,
  segmentsPerMessage: I,
  completedAt: Nullable(IsoTime),
  cancelledAt: Nullable(IsoTime),
  cancelledBy: Nullable(S),
  cancelReason: Nullable(S),
});
export type BroadcastRow = Static<typeof BroadcastRow>;

export const RecipientStatus = Type.Union(['pending', 'sent', 'skipped', 'failed'].map((s) => Type.Literal(s)));

export const RecipientView = Type.Object({
  seq: I,
  phone: S,
  status: S,
  reason: Nullable(S),
  detail: Nullable(S),
  error: Nullable(S),
  providerMessageSid: Nullable(S),
  segments: Nullable(I),
  updatedAt: Nullable(IsoTime),
});
export type RecipientView = Static<typeof RecipientView>;

export const BroadcastListFilter = Type.Object({
  state: Type.Optional(BroadcastStateSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});
export type BroadcastListFilter = Static<typeof BroadcastListFilter>;

export const RecipientFilter = Type.Object({
  status: Type.Optional(RecipientStatus),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});
export type RecipientFilter = Static<typeof RecipientFilter>;

const COLUMNS = `id, text, audience, started_by, started_at, state, total, sent, skipped, failed, encoding,
  segments_per_message, completed_at, cancelled_at, cancelled_by, cancel_reason`;

/** A person the audience resolution found in the users read model. */
export interface AudienceMember {
  phone: string;
  optedOut: boolean;
}

export function broadcastQueries(db: Queryable, schema: string) {
  const broadcasts = qualified(schema, 'broadcasts');
  const recipients = qualified(schema, 'broadcast_recipients');
  const users = qualified(schema, 'users');
  return {
    /** Newest first. */
    async listBroadcasts(filter: BroadcastListFilter = {}): Promise<PageOf<BroadcastRow>> {
      const limit = clampLimit(filter.limit);
      const q = conditions();
      if (filter.state) q.where(`state = ${q.add(filter.state)}`);
      if (filter.cursor) {
        const [at, id] = decodeCursor(filter.cursor);
        q.where(`(started_at, id) < (${q.add(at)}::timestamptz, ${q.add(id)})`);
      }
      const rows = await selectRows<BroadcastRow>(
        db,
        `SELECT ${COLUMNS} FROM ${broadcasts} ${q.sql} ORDER BY started_at DESC, id DESC LIMIT ${limit + 1}`,
        q.values,
      );
      return toPage(rows, limit, (r) => encodeCursor(r.startedAt, r.id));
    },

    async getBroadcast(id: string): Promise<BroadcastRow | null> {
      const rows = await selectRows<BroadcastRow>(db, `SELECT ${COLUMNS} FROM ${broadcasts} WHERE id = $1`, [id]);
      return rows[0] ?? null;
    },

    /** The audience in order; the cursor is the last seq of the page. */
    async listRecipients(broadcastId: string, filter: RecipientFilter = {}): Promise<PageOf<RecipientView>> {
      const limit = clampLimit(filter.limit);
      const q = conditions();
      q.where(`broadcast_id = ${q.add(broadcastId)}`);
      if (filter.status) q.where(`status = ${q.add(filter.status)}`);
      if (filter.cursor) {
        const [, seq] = decodeCursor(filter.cursor);
        q.where(`seq > ${q.add(Number.parseInt(seq, 10) || 0)}`);
      }
      const rows = await selectRows<RecipientView>(
        db,
        `SELECT seq, phone, status, reason, detail, error, provider_message_sid, segments, updated_at
         FROM ${recipients} ${q.sql} ORDER BY seq LIMIT ${limit + 1}`,
        q.values,
      );
      return toPage(rows, limit, (r) => encodeCursor('', String(r.seq)));
    },

    /** Everyone of a tier (or all), oldest customers first: the order a tier broadcast goes out in. */
    async tierAudience(tier: 'free' | 'premium' | 'all'): Promise<AudienceMember[]> {
      return selectRows<AudienceMember>(
        db,
        `SELECT phone, opted_out FROM ${users} WHERE ($1 = 'all' OR tier = $1) AND phone ~ '^\\+[1-9][0-9]{1,14}$'
         ORDER BY created_at, phone`,
        [tier],
      );
    },

    /** Which of these numbers the read model knows as opted out now. */
    async optedOutAmong(phones: readonly string[]): Promise<Set<string>> {
      if (phones.length === 0) return new Set();
      const rows = await selectRows<{ phone: string }>(
        db,
        `SELECT phone FROM ${users} WHERE opted_out AND phone = ANY($1::text[])`,
        [phones],
      );
      return new Set(rows.map((r) => r.phone));
    },
  };
}

export type BroadcastQueries = ReturnType<typeof broadcastQueries>;
