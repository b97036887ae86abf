import { assertNever, defineReadModel, type ProjectionEvent } from '../runtime/types.js';
import { iso, later, loadRows, type Row, saveRows } from '../shared/rows.js';
import { streamId } from '../shared/streams.js';

export const USER_EVENTS = [
  'UserRegistered',
  'UsageRecorded',
  'RateLimitHit',
  'UserOptedOut',
  'UserOptedIn',
  'ConversationReset',
  'ConversationTurnRecorded',
  'TierChanged',
  'UserProfileUpdated',
] as const;
type UserProjectionEvent = ProjectionEvent<(typeof USER_EVENTS)[number]>;

const COLUMNS = [
  'phone',
  'tier',
  'email',
  'full_name',
  'preferences',
  'created_at',
  'last_active_at',
  'total_requests',
  'monthly_requests',
  'requests_month',
  'rate_limit_hits',
  'last_rate_limited_at',
  'opted_out',
  'opted_out_at',
  'opted_out_source',
  'opted_in_at',
  'conversation_turns',
  'conversation_reset_at',
  'tier_changed_at',
  'updated_at',
  'revision',
] as const;

function blankUser(phone: string, at: string): Row {
  return {
    phone,
    tier: 'free',
    email: null,
    full_name: null,
    preferences: {},
    created_at: at,
    last_active_at: null,
    total_requests: 0,
    monthly_requests: 0,
    requests_month: null,
    rate_limit_hits: 0,
    last_rate_limited_at: null,
    opted_out: false,
    opted_out_at: null,
    opted_out_source: null,
    opted_in_at: null,
    conversation_turns: 0,
    conversation_reset_at: null,
    tier_changed_at: null,
    updated_at: at,
    revision: -1,
  };
}

/** One event applied to one user row (stream `user-<phone>`). Pure. */
export function evolveUser(user: Row, event: UserProjectionEvent): void {
  const at = iso(event.metadata.occurredAt);
  switch (event.type) {
    case 'UserRegistered':
      user.tier = event.data.tier;
      user.created_at = iso(event.data.registeredAt);
      user.last_active_at = later(user.last_active_at, iso(event.data.registeredAt));
      break;
    case 'UsageRecorded': {
      const usedAt = iso(event.data.at);
      const month = `${usedAt.slice(0, 7)}-01`;
      user.total_requests = Number(user.total_requests) + 1;
      if (user.requests_month === month) user.monthly_requests = Number(user.monthly_requests) + 1;
      else if (user.requests_month === null || month > String(user.requests_month)) {
        user.requests_month = month;
        user.monthly_requests = 1;
      }
      user.last_active_at = later(user.last_active_at, usedAt);
      break;
    }
    case 'RateLimitHit':
      user.rate_limit_hits = Number(user.rate_limit_hits) + 1;
      user.last_rate_limited_at = at;
      user.last_active_at = later(user.last_active_at, at);
      break;
    case 'UserOptedOut':
      user.opted_out = true;
      user.opted_out_at = at;
      user.opted_out_source = event.data.source;
      if (event.data.source === 'keyword') user.last_active_at = later(user.last_active_at, at);
      break;
    case 'UserOptedIn':
      user.opted_out = false;
      user.opted_in_at = at;
      user.last_active_at = later(user.last_active_at, at);
      break;
    case 'ConversationReset':
      user.conversation_turns = 0;
      user.conversation_reset_at = at;
      user.last_active_at = later(user.last_active_at, at);
      break;
    case 'ConversationTurnRecorded':
      user.conversation_turns = Number(user.conversation_turns) + 1;
      break;
    case 'TierChanged':
      user.tier = event.data.tier;
      user.tier_changed_at = at;
      break;
    case 'UserProfileUpdated':
      if (event.data.email !== undefined) user.email = event.data.email;
      if (event.data.fullName !== undefined) user.full_name = event.data.fullName;
      if (event.data.preferences !== undefined) {
        user.preferences = { ...(user.preferences as Record<string, unknown>), ...event.data.preferences };
      }
      break;
    default:
      assertNever(event);
  }
  user.updated_at = at;
  user.revision = event.revision;
}

/** users: tier, counts, last activity and consent per person. */
export const usersReadModel = defineReadModel<(typeof USER_EVENTS)[number]>({
  name: 'users',
  handles: USER_EVENTS,
  tables: ['users'],
  async apply(tx, events) {
    const phoneOf = (e: UserProjectionEvent) => streamId(e.streamName, 'user');
    const rows = await loadRows(
      tx,
      'users',
      'phone',
      events.map(phoneOf).filter((p) => p !== undefined),
    );
    const changed = new Set<Row>();
    for (const event of events) {
      const phone = phoneOf(event);
      if (phone === undefined) continue;
      let user = rows.get(phone);
      if (!user) {
        user = blankUser(phone, iso(event.metadata.occurredAt));
        rows.set(phone, user);
      }
      // Events at or below the row's revision were applied before: a replay skips them.
      if (event.revision <= Number(user.revision)) continue;
      evolveUser(user, event);
      changed.add(user);
    }
    saveRows(tx, 'users', 'phone', COLUMNS, changed);
  },
});
