import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf } from '../events/envelope.js';

/** Events on stream `broadcast-<id>`: an admin's message to many users. */

export const BroadcastCreated = defineEvent(
  'BroadcastCreated',
  Type.Object({
    broadcastId: Type.String(),
    body: Type.String({ minLength: 1, maxLength: 1600 }),
    audience: Type.Union([Type.Literal('all'), Type.Literal('free'), Type.Literal('premium')]),
    createdBy: Type.String(),
  }),
);
export const BroadcastMessageSent = defineEvent(
  'BroadcastMessageSent',
  Type.Object({ to: Type.String(), providerMessageSid: Type.String(), segments: Type.Integer({ minimum: 1 }) }),
);
export const BroadcastCompleted = defineEvent(
  'BroadcastCompleted',
  Type.Object({ sent: Type.Integer({ minimum: 0 }), skipped: Type.Integer({ minimum: 0 }) }),
);

export const broadcastEvents = [BroadcastCreated, BroadcastMessageSent, BroadcastCompleted] as const;

export type BroadcastCreated = EventOf<typeof BroadcastCreated>;
export type BroadcastMessageSent = EventOf<typeof BroadcastMessageSent>;
export type BroadcastCompleted = EventOf<typeof BroadcastCompleted>;
export type BroadcastEvent = BroadcastCreated | BroadcastMessageSent | BroadcastCompleted;
