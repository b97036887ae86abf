import { type Static, Type } from '@sinclair/typebox';
import { type Queryable, qualified } from '../shared/sql.js';
import {
  clampLimit,
  conditions,
  Day,
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

/** One person as the API serves them (users table, camelCase). */
export const UserView = Type.Object({
  phone: S,
  tier: S,
  email: Nullable(S),
  fullName: Nullable(S),
  preferences: Type.Record(S, Type.Unknown()),
  createdAt: Nullable(IsoTime),
  lastActiveAt: Nullable(IsoTime),
  totalRequests: I,
  /** Requests in `requestsMonth`; 0 in `requestsThisMonth` once that month is over. */
  monthlyRequests: I,
  requestsMonth: Nullable(Day),
  requestsThisMonth: I,
  rateLimitHits: I,
  lastRateLimitedAt: Nullable(IsoTime),
  optedOut: Type.Boolean(),
  optedOutAt: Nullable(IsoTime),
  optedOutSource: Nullable(S),
  optedInAt: Nullable(IsoTime),
  conversationTurns: I,
  conversationResetAt: Nullable(IsoTime),
  tierChangedAt: Nullable(IsoTime),
  updatedAt: IsoTime,
});
export type UserView = Static<typeof UserView>;

export const UserFilter = Type.Object({
  tier: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  optedOut: Type.Optional(Type.Boolean()),
  /** Digits anywhere in the phone number. */
  search: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{1,15}$' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});
export type UserFilter = Static<typeof UserFilter>;

const COLUMNS = `phone, tier, email, full_name, preferences, created_at, last_active_at, total_requests,
  monthly_requests, requests_month,
  CASE WHEN requests_month = date_trunc('month', now() AT TIME ZONE 'UTC')::date THEN monthly_requests ELSE 0 END
    AS requests_this_month,
  rate_limit_hits, last_rate_limited_at, opted_out, opted_out_at, opted_out_source, opted_in_at,
  conversation_turns, conversation_reset_at, tier_changed_at, updated_at`;

export function userQueries(db: Queryable, schema: string) {
  const users = qualified(schema, 'users');
  return {
    /** Newest first. */
    async listUsers(filter: UserFilter = {}): Promise<PageOf<UserView>> {
      const limit = clampLimit(filter.limit);
      const q = conditions();
      if (filter.tier) q.where(`tier = ${q.add(filter.tier)}`);
      if (filter.optedOut !== undefined) q.where(`opted_out = ${q.add(filter.optedOut)}`);
      if (filter.search) q.where(`strpos(phone, ${q.add(filter.search)}) > 0`);
      if (filter.cursor) {
        const [at, phone] = decodeCursor(filter.cursor);
        q.where(`(created_at, phone) < (${q.add(at)}::timestamptz, ${q.add(phone)})`);
      }
      const rows = await selectRows<UserView>(
        db,
        `SELECT ${COLUMNS} FROM ${users} ${q.sql} ORDER BY created_at DESC, phone DESC LIMIT ${limit + 1}`,
        q.values,
      );
      return toPage(rows, limit, (r) => encodeCursor(r.createdAt, r.phone));
    },

    async getUser(phone: string): Promise<UserView | null> {
      const rows = await selectRows<UserView>(db, `SELECT ${COLUMNS} FROM ${users} WHERE phone = $1`, [phone]);
      return rows[0] ?? null;
    },
  };
}
