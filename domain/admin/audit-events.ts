import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf } from '../events/envelope.js';

/**
 * Actions taken through the admin API that no other event records. Each is appended with the
 * actor (and the optional reason) in its metadata, on the stream it is about, so the audit trail
 * is the log itself. Changes that have a domain event of their own (TierChanged, UserOptedOut, ...)
 * use it instead.
 */

/**
 * Ops sent the `retry` signal to a task waiting in NEEDS_ATTENTION (stream `sms-<MessageSid>`).
 * `round` is the failed round retried; the workflow then records TaskRetryRequested itself.
 */
export const TaskRetrySignalled = defineEvent(
  'TaskRetrySignalled',
  Type.Object({ round: Type.Integer({ minimum: 0 }) }),
);
/** An error_logs row closed by hand (stream `sms-<MessageSid>`); `errorId` is the TaskFailed event's id. */
export const ErrorResolved = defineEvent('ErrorResolved', Type.Object({ errorId: Type.String({ minLength: 1 }) }));
/** A rebuild of read models asked for through the API (stream `projection-<name or all>`). */
export const ProjectionRebuildRequested = defineEvent(
  'ProjectionRebuildRequested',
  Type.Object({ rebuildId: Type.String({ minLength: 1 }), projections: Type.Array(Type.String()) }),
);

export const auditEvents = [TaskRetrySignalled, ErrorResolved, ProjectionRebuildRequested] as const;

export type TaskRetrySignalled = EventOf<typeof TaskRetrySignalled>;
export type ErrorResolved = EventOf<typeof ErrorResolved>;
export type ProjectionRebuildRequested = EventOf<typeof ProjectionRebuildRequested>;

export type AuditEvent = TaskRetrySignalled | ErrorResolved | ProjectionRebuildRequested;
