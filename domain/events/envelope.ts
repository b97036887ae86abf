import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { v5 as uuidv5 } from 'uuid';

/** Metadata carried by every domain event. */
export const EventMetadataSchema = Type.Object({
  /** The workflow id (`sms-<MessageSid>`) or request id that caused the chain of events. */
  correlationId: Type.String({ minLength: 1 }),
  /** Id of the event or command that directly caused this one. */
  causationId: Type.Optional(Type.String({ minLength: 1 })),
  occurredAt: Type.String({ format: 'date-time' }),
  schemaVersion: Type.Integer({ minimum: 1 }),
  /** Who made the change, on events appended through the admin API: the audit trail is the log. */
  actor: Type.Optional(
    Type.Object({
      /** An account's email, a token's name, or "ADMIN_API_TOKEN" for the bootstrap credential. */
      name: Type.String({ minLength: 1 }),
      role: Type.Union([Type.Literal('admin'), Type.Literal('ops'), Type.Literal('analyst')]),
      kind: Type.Union([Type.Literal('session'), Type.Literal('token'), Type.Literal('bootstrap')]),
    }),
  ),
  /** Why, when the actor said. */
  reason: Type.Optional(Type.String({ maxLength: 500 })),
});
export type EventMetadata = Static<typeof EventMetadataSchema>;

/** `Event<'PastTense', data>`: the shape of every event in the catalogue. */
export interface Event<Type extends string, Data> {
  type: Type;
  data: Data;
  metadata: EventMetadata;
}

/** A catalogue entry: the current schema version and the data schema of one event type. */
export interface EventDefinition<T extends string = string, S extends TSchema = TSchema> {
  type: T;
  schemaVersion: number;
  data: S;
}

export const defineEvent = <T extends string, S extends TSchema>(type: T, data: S, schemaVersion = 1) =>
  ({ type, data, schemaVersion }) satisfies EventDefinition<T, S>;

/** Fixed namespace for this service's event ids. */
const EVENT_ID_NAMESPACE = '6f0c7c2e-6a53-4f0e-9d3e-3b7f5f0b9a11';

/**
 * Deterministic event id: the same workflow, step and retry round always give the same id,
 * so an activity that is retried re-appends the same event and the store treats it as a no-op.
 */
export function eventId(correlationId: string, step: string, round = 0): string {
  return uuidv5(`${correlationId}/${step}/${round}`, EVENT_ID_NAMESPACE);
}

/** The category of a stream is the text before the first `-` (`sms-SM123` -> `sms`). */
export const streamCategory = (stream: string) => stream.split('-', 1)[0] ?? stream;

export const smsStream = (messageSid: string) => `sms-${messageSid}`;
export const userStream = (phoneE164: string) => `user-${phoneE164}`;
export const broadcastStream = (broadcastId: string) => `broadcast-${broadcastId}`;
/** A reply written by a person (workflow humanReply): its intent, send and delivery updates. */
export const humanReplyStream = (replyId: string) => `reply-${replyId}`;

/** The event type a catalogue entry describes. */
export type EventOf<D extends { type: string; data: TSchema }> = Event<D['type'], Static<D['data']>>;
