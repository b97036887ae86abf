import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf } from '../events/envelope.js';

/**
 * Events of a broadcast: an admin's text to a tier or a list of numbers. Three kinds of stream,
 * all of category `broadcast` (streams.ts): the broadcast itself (`broadcast-<id>`: started,
 * then completed or cancelled), its audience (`broadcast-<id>-audience`: the ordered list,
 * resolved once) and one stream per recipient (`broadcast-<id>-<seq>`: a send intent, then one
 * result), so each recipient's fate is decided at an expected revision and read in one small read.
 */

/** Twilio's limit for one (concatenated) message. */
export const MAX_BROADCAST_TEXT = 1600;
/** Numbers per audience event: the list of 10,000 people is ten events, never one huge one. */
export const AUDIENCE_CHUNK = 1000;

const Phone = Type.String({ pattern: '^\\+[1-9]\\d{1,14}$' });
const Seq = Type.Integer({ minimum: 0 });
export const BroadcastTier = Type.Union([Type.Literal('free'), Type.Literal('premium'), Type.Literal('all')]);
const Encoding = Type.Union([Type.Literal('GSM-7'), Type.Literal('UCS-2')]);
const Provider = Type.Union([Type.Literal('twilio'), Type.Literal('simulator')]);

/** Who the broadcast is for, as the admin asked (the list itself is in the audience stream). */
export const BroadcastAudienceSpec = Type.Union([
  Type.Object({ kind: Type.Literal('tier'), tier: BroadcastTier }),
  Type.Object({ kind: Type.Literal('phones'), count: Type.Integer({ minimum: 1 }) }),
]);

export const BroadcastStarted = defineEvent(
  'BroadcastStarted',
  Type.Object({
    broadcastId: Type.String({ minLength: 1 }),
    text: Type.String({ minLength: 1, maxLength: MAX_BROADCAST_TEXT }),
    audience: BroadcastAudienceSpec,
    /** People in the resolved audience (seq 0 .. recipients-1). */
    recipients: Type.Integer({ minimum: 0 }),
    encoding: Encoding,
    segmentsPerMessage: Type.Integer({ minimum: 1 }),
    /** The actor's name (also in the metadata): who sent it, for readers of the row. */
    startedBy: Type.String({ minLength: 1 }),
  }),
);

/** A slice of the ordered audience: `phones[i]` is recipient `from + i`. */
export const BroadcastAudienceListed = defineEvent(
  'BroadcastAudienceListed',
  Type.Object({
    broadcastId: Type.String({ minLength: 1 }),
    from: Seq,
    phones: Type.Array(Phone, { minItems: 1, maxItems: AUDIENCE_CHUNK }),
  }),
);

const RecipientRef = {
  broadcastId: Type.String({ minLength: 1 }),
  seq: Seq,
  to: Phone,
};

/** Appended before the provider is called: a later attempt that finds it without a result asks the provider first. */
export const BroadcastRecipientIntentRecorded = defineEvent(
  'BroadcastRecipientIntentRecorded',
  Type.Object({
    ...RecipientRef,
    body: Type.String({ minLength: 1, maxLength: MAX_BROADCAST_TEXT }),
    provider: Provider,
  }),
);

export const BroadcastRecipientSent = defineEvent(
  'BroadcastRecipientSent',
  Type.Object({
    ...RecipientRef,
    body: Type.String({ minLength: 1, maxLength: MAX_BROADCAST_TEXT }),
    providerMessageSid: Type.String({ minLength: 1 }),
    provider: Provider,
    segments: Type.Integer({ minimum: 1 }),
    encoding: Encoding,
    /** True when a crashed attempt had sent it and the provider's list said so. */
    reconciled: Type.Optional(Type.Boolean()),
  }),
);

export const BroadcastSkipReason = Type.Union([Type.Literal('opted_out'), Type.Literal('unreplyable')]);

export const BroadcastRecipientSkipped = defineEvent(
  'BroadcastRecipientSkipped',
  Type.Object({
    ...RecipientRef,
    reason: BroadcastSkipReason,
    /** opted_out: keyword | carrier; unreplyable: country_not_allowed, ... */
    detail: Type.Optional(Type.String({ maxLength: 64 })),
  }),
);

export const BroadcastRecipientFailed = defineEvent(
  'BroadcastRecipientFailed',
  Type.Object({
    ...RecipientRef,
    /** The provider's answer, phone numbers masked. */
    error: Type.String({ maxLength: 2000 }),
  }),
);

export const BroadcastCompleted = defineEvent(
  'BroadcastCompleted',
  Type.Object({
    broadcastId: Type.String({ minLength: 1 }),
    sent: Type.Integer({ minimum: 0 }),
    skipped: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
  }),
);

export const BroadcastCancelled = defineEvent(
  'BroadcastCancelled',
  Type.Object({
    broadcastId: Type.String({ minLength: 1 }),
    /** The actor's name, or "temporal" for a cancellation from the Temporal UI. */
    cancelledBy: Type.String({ minLength: 1 }),
  }),
);

export const broadcastEvents = [
  BroadcastStarted,
  BroadcastAudienceListed,
  BroadcastRecipientIntentRecorded,
  BroadcastRecipientSent,
  BroadcastRecipientSkipped,
  BroadcastRecipientFailed,
  BroadcastCompleted,
  BroadcastCancelled,
] as const;

export type BroadcastStarted = EventOf<typeof BroadcastStarted>;
export type BroadcastAudienceListed = EventOf<typeof BroadcastAudienceListed>;
export type BroadcastRecipientIntentRecorded = EventOf<typeof BroadcastRecipientIntentRecorded>;
export type BroadcastRecipientSent = EventOf<typeof BroadcastRecipientSent>;
export type BroadcastRecipientSkipped = EventOf<typeof BroadcastRecipientSkipped>;
export type BroadcastRecipientFailed = EventOf<typeof BroadcastRecipientFailed>;
export type BroadcastCompleted = EventOf<typeof BroadcastCompleted>;
export type BroadcastCancelled = EventOf<typeof BroadcastCancelled>;
export type BroadcastEvent =
  | BroadcastStarted
  | BroadcastAudienceListed
  | BroadcastRecipientIntentRecorded
  | BroadcastRecipientSent
  | BroadcastRecipientSkipped
  | BroadcastRecipientFailed
  | BroadcastCompleted
  | BroadcastCancelled;
export type BroadcastSkipReason = BroadcastRecipientSkipped['data']['reason'];
export type BroadcastTier = 'free' | 'premium' | 'all';
export type BroadcastAudienceSpec = BroadcastStarted['data']['audience'];
