import { type Static, Type } from '@sinclair/typebox';
import { Reason } from './actions.js';

// Twilio's MessageSid (SM/MM + 32 hex) and the simulator's ids; anything a workflow id can carry.
const MessageSid = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

export const TaskParams = Type.Object({ messageSid: MessageSid });
export const RetryBody = Type.Object({ reason: Reason }, { additionalProperties: false });
export const BatchRetryBody = Type.Object(
  { messageSids: Type.Array(MessageSid, { minItems: 1, maxItems: 100, uniqueItems: true }), reason: Reason },
  { additionalProperties: false },
);

export const RetryStatus = Type.Union([
  /** The retry signal went out; the workflow records TaskRetryRequested and goes again. */
  Type.Literal('retried'),
  /** The task is not in NEEDS_ATTENTION (still working, done, or closed). */
  Type.Literal('not_waiting'),
  /** No workflow for this MessageSid. */
  Type.Literal('not_found'),
]);
export type RetryStatus = Static<typeof RetryStatus>;

export const RetryResult = Type.Object({
  messageSid: Type.String(),
  status: RetryStatus,
  /** The failed round that was retried. */
  round: Type.Optional(Type.Integer()),
});
export type RetryResult = Static<typeof RetryResult>;
export const BatchRetryResponse = Type.Object({ results: Type.Array(RetryResult) });
