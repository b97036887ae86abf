import { assertNever, defineReadModel, type ProjectionEvent } from '../runtime/types.js';
import { iso, type Row, saveRows } from '../shared/rows.js';

/**
 * The event types the admin API appends. Only those carrying `metadata.actor` become rows: a
 * UserOptedOut from a STOP keyword has none. TaskRetryRequested is not listed: the workflow
 * appends it without an actor; the API's own TaskRetrySignalled says who asked. ReplySent has an
 * actor only when a person wrote the reply (workflow humanReply); answers and keywords have none.
 */
export const AUDIT_EVENTS = [
  'TierChanged',
  'UserOptedOut',
  'UserOptedIn',
  'TaskRetrySignalled',
  'ErrorResolved',
  'ProjectionRebuildRequested',
  'AccountCreated',
  'AccountDisabled',
  'ApiTokenCreated',
  'ApiTokenRevoked',
  'BroadcastStarted',
  'BroadcastCancelled',
  'AiBudgetChanged',
  'ConversationTakenOver',
  'ConversationReleased',
  'ReplySent',
] as const;
type AuditProjectionEvent = ProjectionEvent<(typeof AUDIT_EVENTS)[number]>;

const COLUMNS = [
  'id',
  'occurred_at',
  'actor_name',
  'actor_role',
  'actor_kind',
  'action',
  'target',
  'reason',
  'details',
] as const;

/** audit_log: one row per event with an actor, keyed by the event id (a replay inserts nothing new). */
export const auditReadModel = defineReadModel<(typeof AUDIT_EVENTS)[number]>({
  name: 'audit',
  handles: AUDIT_EVENTS,
  tables: ['audit_log'],
  async apply(tx, events) {
    const rows: Row[] = [];
    for (const event of events) {
      switch (event.type) {
        case 'TierChanged':
        case 'UserOptedOut':
        case 'UserOptedIn':
        case 'TaskRetrySignalled':
        case 'ErrorResolved':
        case 'ProjectionRebuildRequested':
        case 'AccountCreated':
        case 'AccountDisabled':
        case 'ApiTokenCreated':
        case 'ApiTokenRevoked':
        case 'BroadcastStarted':
        case 'BroadcastCancelled':
        case 'AiBudgetChanged':
        case 'ConversationTakenOver':
        case 'ConversationReleased':
        case 'ReplySent': {
          const row = rowOf(event);
          if (row) rows.push(row);
          break;
        }
        default:
          assertNever(event);
      }
    }
    saveRows(tx, 'audit_log', 'id', COLUMNS, rows, { onConflict: 'nothing' });
  },
});

function rowOf(event: AuditProjectionEvent): Row | undefined {
  const { actor, reason, occurredAt } = event.metadata;
  if (!actor) return undefined;
  return {
    id: event.id,
    occurred_at: iso(occurredAt),
    actor_name: actor.name,
    actor_role: actor.role,
    actor_kind: actor.kind,
    action: event.type,
    target: event.streamName,
    reason: reason ?? null,
    details: event.data,
  };
}
