import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf } from '../events/envelope.js';

/** Spend events on stream `user-<E.164>` (domain/user/spend.ts holds the rule they serve). */

export const SpendScope = Type.Union([Type.Literal('user'), Type.Literal('global')]);
export const SpendWindow = Type.Union([Type.Literal('day'), Type.Literal('month')]);

/**
 * Before the AI call: the most this SMS's answer can cost, held against the person's caps until
 * SpendRecorded replaces it. Appended with the quota unit, at the revision the decision read.
 */
export const SpendReserved = defineEvent(
  'SpendReserved',
  Type.Object({
    messageSid: Type.String(),
    usd: Type.Number({ minimum: 0 }),
    at: Type.String({ format: 'date-time' }),
  }),
);
/** After the AI call: what the answer cost (AiResponseGenerated's estimate), replacing its reservation. */
export const SpendRecorded = defineEvent(
  'SpendRecorded',
  Type.Object({
    messageSid: Type.String(),
    costUsd: Type.Number({ minimum: 0 }),
    at: Type.String({ format: 'date-time' }),
  }),
);
/** An SMS held back by a spend cap (the person's, or everyone's daily budget): no AI call. */
export const SpendCapHit = defineEvent(
  'SpendCapHit',
  Type.Object({
    messageSid: Type.String(),
    scope: SpendScope,
    window: SpendWindow,
    capUsd: Type.Number({ minimum: 0 }),
    windowStart: Type.String({ format: 'date-time' }),
    retryAt: Type.String({ format: 'date-time' }),
    /** Only the first SMS held in a window (per scope) gets the polite notice. */
    notify: Type.Boolean(),
  }),
);

export const spendEvents = [SpendReserved, SpendRecorded, SpendCapHit] as const;

export type SpendReserved = EventOf<typeof SpendReserved>;
export type SpendRecorded = EventOf<typeof SpendRecorded>;
export type SpendCapHit = EventOf<typeof SpendCapHit>;
export type SpendEvent = SpendReserved | SpendRecorded | SpendCapHit;
