import { type Static, Type } from '@sinclair/typebox';
import { type Queryable, qualified } from '../shared/sql.js';
import {
  clampLimit,
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

/** One SMS in or out. */
export const MessageView = Type.Object({
  id: S,
  phone: Nullable(S),
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  body: Nullable(S),
  /** 'sms' inbound; answer | continuation | keyword | rate_limit | error | broadcast | human (written by a person) outbound. */
  kind: Nullable(S),
  taskMessageSid: Nullable(S),
  broadcastId: Nullable(S),
  segments: Nullable(I),
  encoding: Nullable(S),
  provider: Nullable(S),
  createdAt: Nullable(IsoTime),
  deliveryStatus: Nullable(S),
  deliveryErrorCode: Nullable(S),
  deliveryUpdatedAt: Nullable(IsoTime),
  deliveredAt: Nullable(IsoTime),
});
export type MessageView = Static<typeof MessageView>;

export const ConversationOptions = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  /** From a previous page's nextCursor: older messages. */
  cursor: Type.Optional(S),
});
export type ConversationOptions = Static<typeof ConversationOptions>;

const COLUMNS = `id, phone, direction, body, kind, task_message_sid, broadcast_id, segments, encoding, provider,
  created_at, delivery_status, delivery_error_code, delivery_updated_at, delivered_at`;

export function messageQueries(db: Queryable, schema: string) {
  const messages = qualified(schema, 'messages');
  return {
    /**
     * One person's thread, the latest `limit` messages in chronological order; nextCursor pages
     * back to older ones.
     */
    async conversation(phone: string, options: ConversationOptions = {}): Promise<PageOf<MessageView>> {
      const limit = clampLimit(options.limit);
      const values: unknown[] = [phone];
      let before = '';
      if (options.cursor) {
        const [at, id] = decodeCursor(options.cursor);
        values.push(at, id);
        before = 'AND (created_at, id) < ($2::timestamptz, $3)';
      }
      const rows = await selectRows<MessageView>(
        db,
        `SELECT ${COLUMNS} FROM ${messages} WHERE phone = $1 ${before}
         ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`,
        values,
      );
      const page = toPage(rows, limit, (r) => encodeCursor(r.createdAt, r.id));
      return { items: page.items.reverse(), nextCursor: page.nextCursor };
    },

    /** The channel (twilio, simulator) of the person's latest SMS, if any: a reply goes back the same way. */
    async lastInboundProvider(phone: string): Promise<string | undefined> {
      const { rows } = await db.query<{ provider: string | null }>(
        `SELECT provider FROM ${messages} WHERE phone = $1 AND direction = 'in' ORDER BY created_at DESC LIMIT 1`,
        [phone],
      );
      return rows[0]?.provider ?? undefined;
    },

    /** The inbound SMS of a task and every reply sent for it, oldest first. */
    async messagesForTask(messageSid: string): Promise<MessageView[]> {
      return selectRows<MessageView>(
        db,
        `SELECT ${COLUMNS} FROM ${messages} WHERE task_message_sid = $1 ORDER BY created_at, id`,
        [messageSid],
      );
    },
  };
}
