import { type Static, Type } from '@sinclair/typebox';
import { defineEvent, type EventOf } from '../events/envelope.js';
import { SpendCapped } from './spend-events.js';

/** Events on stream `sms-<MessageSid>`: one inbound SMS and everything the service did about it. */

export const Category = Type.Union([
  Type.Literal('coding'),
  Type.Literal('debug'),
  Type.Literal('design'),
  Type.Literal('documentation'),
  Type.Literal('analysis'),
  Type.Literal('general'),
]);
export type Category = Static<typeof Category>;
export const CATEGORIES: readonly Category[] = ['coding', 'debug', 'design', 'documentation', 'analysis', 'general'];

export const Keyword = Type.Union([
  Type.Literal('STOP'),
  Type.Literal('START'),
  Type.Literal('HELP'),
  Type.Literal('RESET'),
  Type.Literal('MORE'),
  /** The texter asks for a person (AGENT_KEYWORDS): ops are alerted. */
  Type.Literal('AGENT'),
]);
export type Keyword = Static<typeof Keyword>;

const Phone = Type.String({ pattern: '^\\+[1-9]\\d{6,14}$' });
const Encoding = Type.Union([Type.Literal('GSM-7'), Type.Literal('UCS-2')]);
export const ReplyKind = Type.Union([
  Type.Literal('answer'),
  Type.Literal('continuation'),
  Type.Literal('keyword'),
  Type.Literal('rate_limit'),
  Type.Literal('error'),
  /** The polite SMS for media the AI cannot see (domain/sms/media.ts). */
  Type.Literal('media_unsupported'),
  /** Written by a person through the admin API (workflow humanReply). */
  Type.Literal('human'),
]);
export type ReplyKind = Static<typeof ReplyKind>;
export const DELIVERY_STATUSES = [
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'read',
  'canceled',
] as const;
export const DeliveryStatus = Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s)));
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const TaskOutcome = Type.Union([
  Type.Literal('answered'),
  Type.Literal('keyword'),
  Type.Literal('rate_limited'),
  Type.Literal('opted_out'),
  Type.Literal('nothing_to_continue'),
  /** No reply could go to the sender (a short code, a country replies may not go to, ...): see ReplyWithheld. */
  Type.Literal('unreplyable'),
  /** A spend cap (the sender's, or everyone's daily AI budget) held the SMS back: see SpendCapped. */
  Type.Literal('spend_capped'),
  /** An MMS whose media the AI cannot see (not an image, or no vision model): a polite SMS, no AI call. */
  Type.Literal('media_unsupported'),
  /** A person has taken the conversation over: recorded, no AI answer. */
  Type.Literal('taken_over'),
]);
export type TaskOutcome = Static<typeof TaskOutcome>;

export const SenderKind = Type.Union([
  Type.Literal('phone'),
  Type.Literal('short_code'),
  Type.Literal('alphanumeric'),
  Type.Literal('other'),
]);

export const SmsReceived = defineEvent(
  'SmsReceived',
  Type.Object({
    messageSid: Type.String({ minLength: 1 }),
    /** E.164 for a phone; a short code or alphanumeric sender id as Twilio sent it (see senderKind). */
    from: Type.String({ minLength: 1, maxLength: 64 }),
    /** Absent on events from before senders other than phones were kept: those are phones. */
    senderKind: Type.Optional(SenderKind),
    to: Type.String(),
    /** At most 1,600 code points, no NUL (domain/sms/inbound-body.ts). */
    body: Type.String({ format: 'sms-body' }),
    /** Code points the sender sent, when more than the cap were cut off. */
    bodyTruncatedFrom: Type.Optional(Type.Integer({ minimum: 0 })),
    numMedia: Type.Integer({ minimum: 0 }),
    /** MediaUrlN and MediaContentTypeN (N < NumMedia, at most 10); absent on SMS and on events from before MMS. */
    media: Type.Optional(
      Type.Array(
        Type.Object({
          url: Type.Optional(Type.String({ maxLength: 2048 })),
          contentType: Type.String({ minLength: 1, maxLength: 130 }),
        }),
        { maxItems: 10 },
      ),
    ),
    provider: Type.Union([Type.Literal('twilio'), Type.Literal('simulator')]),
    receivedAt: Type.String({ format: 'date-time' }),
  }),
);
export const KeywordDetected = defineEvent('KeywordDetected', Type.Object({ keyword: Keyword, word: Type.String() }));
export const TaskClassified = defineEvent(
  'TaskClassified',
  Type.Object({
    category: Category,
    priority: Type.Union([Type.Literal('low'), Type.Literal('normal'), Type.Literal('high')]),
    complexityScore: Type.Number({ minimum: 0, maximum: 1 }),
    model: Type.String(),
    classifier: Type.Union([Type.Literal('rules'), Type.Literal('llm')]),
  }),
);
export const RateLimited = defineEvent(
  'RateLimited',
  Type.Object({
    window: Type.Union([Type.Literal('minute'), Type.Literal('day'), Type.Literal('month')]),
    limit: Type.Integer(),
    retryAt: Type.String({ format: 'date-time' }),
    notified: Type.Boolean(),
  }),
);
export const AiResponseGenerated = defineEvent(
  'AiResponseGenerated',
  Type.Object({
    model: Type.String(),
    fallbackUsed: Type.Boolean(),
    text: Type.String(),
    promptTokens: Type.Integer({ minimum: 0 }),
    completionTokens: Type.Integer({ minimum: 0 }),
    costUsd: Type.Number({ minimum: 0 }),
    latencyMs: Type.Integer({ minimum: 0 }),
  }),
);
/**
 * The images of an MMS as fetched for the AI, once per task: what was seen, never the bytes
 * (Twilio keeps the media). `index` is N of MediaUrlN.
 */
export const MediaFetched = defineEvent(
  'MediaFetched',
  Type.Object({
    media: Type.Array(
      Type.Object({
        index: Type.Integer({ minimum: 0 }),
        contentType: Type.String({ minLength: 1 }),
        sizeBytes: Type.Integer({ minimum: 0 }),
        sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
      }),
      { minItems: 1, maxItems: 10 },
    ),
  }),
);
export const ReplySent = defineEvent(
  'ReplySent',
  Type.Object({
    kind: ReplyKind,
    to: Phone,
    body: Type.String(),
    providerMessageSid: Type.String(),
    provider: Type.Union([Type.Literal('twilio'), Type.Literal('simulator')]),
    segments: Type.Integer({ minimum: 1 }),
    encoding: Encoding,
    /** Characters of the full answer sent so far (this part included); lets MORE continue. */
    sentUpTo: Type.Optional(Type.Integer({ minimum: 0 })),
    /** True when part of the answer is still unsent: texting MORE sends the next part. */
    hasMore: Type.Boolean(),
    /** For a continuation: the task whose answer this part continues. */
    continuesMessageSid: Type.Optional(Type.String()),
    /** Kind 'human': who wrote it (the actor's name). */
    by: Type.Optional(Type.String()),
  }),
);
/**
 * Recorded just before the provider is asked to send, with exactly what will be sent. A ReplyIntent
 * without its ReplySent means a send may have happened: the next attempt, whatever its number or
 * round, asks the provider before sending again.
 */
export const ReplyIntentRecorded = defineEvent(
  'ReplyIntentRecorded',
  Type.Object({
    kind: ReplyKind,
    to: Phone,
    body: Type.String(),
    provider: Type.Union([Type.Literal('twilio'), Type.Literal('simulator')]),
    /** Where the part ends in the full text, and whether some is left (MORE). */
    sentUpTo: Type.Optional(Type.Integer({ minimum: 0 })),
    hasMore: Type.Boolean(),
    continuesMessageSid: Type.Optional(Type.String()),
    by: Type.Optional(Type.String()),
  }),
);
export const ReplyWithheldReason = Type.Union([
  Type.Literal('opted_out'),
  Type.Literal('short_code'),
  Type.Literal('alphanumeric_sender'),
  Type.Literal('unrecognized_sender'),
  Type.Literal('country_not_allowed'),
  Type.Literal('keyword_limit'),
  /** A person took the conversation over while the AI was answering: the AI's answer is not sent. */
  Type.Literal('taken_over'),
]);
export type ReplyWithheldReason = Static<typeof ReplyWithheldReason>;
/** Why no reply went out where one would have. */
export const ReplyWithheld = defineEvent(
  'ReplyWithheld',
  Type.Object({ kind: ReplyKind, reason: ReplyWithheldReason }),
);
export const DeliveryStatusUpdated = defineEvent(
  'DeliveryStatusUpdated',
  Type.Object({
    providerMessageSid: Type.String(),
    status: DeliveryStatus,
    errorCode: Type.Optional(Type.String()),
  }),
);
export const TaskCompleted = defineEvent(
  'TaskCompleted',
  Type.Object({ outcome: TaskOutcome, processingMs: Type.Integer({ minimum: 0 }) }),
);
export const TaskFailed = defineEvent(
  'TaskFailed',
  Type.Object({
    step: Type.String(),
    errorType: Type.String(),
    errorMessage: Type.String(),
    attempts: Type.Integer({ minimum: 0 }),
    round: Type.Integer({ minimum: 0 }),
  }),
);
/** The retry window ended with no retry from ops: the task is given up for good. */
export const TaskAbandoned = defineEvent(
  'TaskAbandoned',
  Type.Object({
    /** The step that failed last, and its error (masked like TaskFailed's). */
    step: Type.String(),
    lastError: Type.String(),
    /** How long ops had, e.g. "7 days". */
    retryWindow: Type.String(),
    round: Type.Integer({ minimum: 0 }),
  }),
);
export const TaskRetryRequested = defineEvent(
  'TaskRetryRequested',
  Type.Object({ requestedBy: Type.String(), round: Type.Integer({ minimum: 1 }) }),
);

export const smsTaskEvents = [
  SmsReceived,
  KeywordDetected,
  TaskClassified,
  RateLimited,
  AiResponseGenerated,
  ReplyIntentRecorded,
  ReplySent,
  ReplyWithheld,
  DeliveryStatusUpdated,
  TaskCompleted,
  TaskFailed,
  TaskRetryRequested,
  TaskAbandoned,
  SpendCapped,
  MediaFetched,
] as const;

export type SmsReceived = EventOf<typeof SmsReceived>;
export type KeywordDetected = EventOf<typeof KeywordDetected>;
export type TaskClassified = EventOf<typeof TaskClassified>;
export type RateLimited = EventOf<typeof RateLimited>;
export type AiResponseGenerated = EventOf<typeof AiResponseGenerated>;
export type ReplyIntentRecorded = EventOf<typeof ReplyIntentRecorded>;
export type ReplySent = EventOf<typeof ReplySent>;
export type ReplyWithheld = EventOf<typeof ReplyWithheld>;
export type DeliveryStatusUpdated = EventOf<typeof DeliveryStatusUpdated>;
export type TaskCompleted = EventOf<typeof TaskCompleted>;
export type TaskFailed = EventOf<typeof TaskFailed>;
export type TaskRetryRequested = EventOf<typeof TaskRetryRequested>;
export type TaskAbandoned = EventOf<typeof TaskAbandoned>;
export type { SpendCapped };
export type MediaFetched = EventOf<typeof MediaFetched>;

export type SmsTaskEvent =
  | SmsReceived
  | KeywordDetected
  | TaskClassified
  | RateLimited
  | AiResponseGenerated
  | ReplyIntentRecorded
  | ReplySent
  | ReplyWithheld
  | DeliveryStatusUpdated
  | TaskCompleted
  | TaskFailed
  | TaskRetryRequested
  | TaskAbandoned
  | SpendCapped
  | MediaFetched;
