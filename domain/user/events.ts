import { type Static, Type } from '@sinclair/typebox';
import { defineEvent, type EventOf } from '../events/envelope.js';
import { type SpendEvent, spendEvents } from './spend-events.js';

/** Events on stream `user-<E.164>`: one person, their tier, usage and consent. */

export const Tier = Type.Union([Type.Literal('free'), Type.Literal('premium')]);
export type Tier = Static<typeof Tier>;
export const RateWindow = Type.Union([Type.Literal('minute'), Type.Literal('day'), Type.Literal('month')]);
export type RateWindow = Static<typeof RateWindow>;

export const UserRegistered = defineEvent(
  'UserRegistered',
  Type.Object({ phone: Type.String(), tier: Tier, registeredAt: Type.String({ format: 'date-time' }) }),
);
/** One quota unit taken by one SMS; appended with an expected revision so two texts cannot share a unit. */
export const UsageRecorded = defineEvent(
  'UsageRecorded',
  Type.Object({ messageSid: Type.String(), at: Type.String({ format: 'date-time' }) }),
);
export const RateLimitHit = defineEvent(
  'RateLimitHit',
  Type.Object({
    messageSid: Type.String(),
    window: RateWindow,
    windowStart: Type.String({ format: 'date-time' }),
    retryAt: Type.String({ format: 'date-time' }),
    /** Only the first limited SMS of a window gets the polite notice. */
    notify: Type.Boolean(),
  }),
);
/** A keyword answer (HELP, START, MORE, RESET) counted against the sender's own small keyword quota. */
export const KeywordReplyCounted = defineEvent(
  'KeywordReplyCounted',
  Type.Object({ messageSid: Type.String(), keyword: Type.String(), at: Type.String({ format: 'date-time' }) }),
);
export const UserOptedOut = defineEvent(
  'UserOptedOut',
  Type.Object({
    /** 'admin': through the admin API (the actor is in the metadata). */
    source: Type.Union([Type.Literal('keyword'), Type.Literal('carrier'), Type.Literal('admin')]),
    messageSid: Type.Optional(Type.String()),
  }),
);
export const UserOptedIn = defineEvent('UserOptedIn', Type.Object({ messageSid: Type.Optional(Type.String()) }));
export const ConversationReset = defineEvent('ConversationReset', Type.Object({ messageSid: Type.String() }));
/** A question and its answer, kept on the user stream as conversation memory for the next turns. */
export const ConversationTurnRecorded = defineEvent(
  'ConversationTurnRecorded',
  Type.Object({ messageSid: Type.String(), question: Type.String(), answer: Type.String() }),
);
/** How much of an answer the person has received; MORE continues from `sentUpTo` while `hasMore`. */
export const ReplyProgressRecorded = defineEvent(
  'ReplyProgressRecorded',
  Type.Object({
    /** The task whose AI answer is being delivered in parts. */
    messageSid: Type.String(),
    sentUpTo: Type.Integer({ minimum: 0 }),
    hasMore: Type.Boolean(),
  }),
);
export const TierChanged = defineEvent('TierChanged', Type.Object({ tier: Tier, changedBy: Type.String() }));
export const UserProfileUpdated = defineEvent(
  'UserProfileUpdated',
  Type.Object({
    email: Type.Optional(Type.String()),
    fullName: Type.Optional(Type.String()),
    preferences: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
);

/** A person (ops, admin) answers this number instead of the AI until `until` or a release. */
export const ConversationTakenOver = defineEvent(
  'ConversationTakenOver',
  Type.Object({
    by: Type.String({ minLength: 1 }),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    until: Type.String({ format: 'date-time' }),
  }),
);
/** The AI answers again: released by a person (`by`) before the takeover's `until`. */
export const ConversationReleased = defineEvent(
  'ConversationReleased',
  Type.Object({ by: Type.String({ minLength: 1 }) }),
);

export const userEvents = [
  UserRegistered,
  UsageRecorded,
  RateLimitHit,
  KeywordReplyCounted,
  UserOptedOut,
  UserOptedIn,
  ConversationReset,
  ConversationTurnRecorded,
  ReplyProgressRecorded,
  TierChanged,
  UserProfileUpdated,
  ...spendEvents,
  ConversationTakenOver,
  ConversationReleased,
] as const;

export type UserRegistered = EventOf<typeof UserRegistered>;
export type UsageRecorded = EventOf<typeof UsageRecorded>;
export type RateLimitHit = EventOf<typeof RateLimitHit>;
export type KeywordReplyCounted = EventOf<typeof KeywordReplyCounted>;
export type UserOptedOut = EventOf<typeof UserOptedOut>;
export type UserOptedIn = EventOf<typeof UserOptedIn>;
export type ConversationReset = EventOf<typeof ConversationReset>;
export type ConversationTurnRecorded = EventOf<typeof ConversationTurnRecorded>;
export type ReplyProgressRecorded = EventOf<typeof ReplyProgressRecorded>;
export type TierChanged = EventOf<typeof TierChanged>;
export type UserProfileUpdated = EventOf<typeof UserProfileUpdated>;
export type ConversationTakenOver = EventOf<typeof ConversationTakenOver>;
export type ConversationReleased = EventOf<typeof ConversationReleased>;

export type UserEvent =
  | UserRegistered
  | UsageRecorded
  | RateLimitHit
  | KeywordReplyCounted
  | UserOptedOut
  | UserOptedIn
  | ConversationReset
  | ConversationTurnRecorded
  | ReplyProgressRecorded
  | TierChanged
  | UserProfileUpdated
  | SpendEvent
  | ConversationTakenOver
  | ConversationReleased;
