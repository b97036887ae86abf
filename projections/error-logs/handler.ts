import { maskPhonesIn } from '../../domain/phone.js';
import { assertNever, defineReadModel, type ProjectionEvent } from '../runtime/types.js';
import { iso, loadRows, type Row, saveRows } from '../shared/rows.js';
import { streamId } from '../shared/streams.js';

export const ERROR_LOG_EVENTS = [
  'SmsReceived',
  'TaskFailed',
  'TaskRetryRequested',
  'TaskCompleted',
  'ErrorResolved',
] as const;
type ErrorLogProjectionEvent = ProjectionEvent<(typeof ERROR_LOG_EVENTS)[number]>;

const COLUMNS = [
  'id',
  'type',
  'message',
  'task_message_sid',
  'user_phone',
  'step',
  'attempts',
  'round',
  'stream_revision',
  'created_at',
  'resolved',
  'resolved_at',
  'retry_requested_at',
  'retry_requested_by',
] as const;

/**
 * error_logs: one row per TaskFailed, keyed by the event's id. A retry request or a completion
 * touches only the task's errors recorded before it in the stream (stream_revision), so replaying
 * an old event never resolves a newer failure.
 */
export const errorLogsReadModel = defineReadModel<(typeof ERROR_LOG_EVENTS)[number]>({
  name: 'error_logs',
  handles: ERROR_LOG_EVENTS,
  tables: ['error_logs', 'error_log_task_phones'],
  async apply(tx, events) {
    const sidOf = (e: ErrorLogProjectionEvent) => streamId(e.streamName, 'sms');
    const phones = new Map<string, string>();
    for (const e of events) if (e.type === 'SmsReceived') phones.set(e.data.messageSid, e.data.from);
    const newPhones = [...phones];
    const failedSids = events.filter((e) => e.type === 'TaskFailed').map(sidOf);
    const missing = failedSids.filter((s): s is string => s !== undefined && !phones.has(s));
    for (const [sid, row] of await loadRows(tx, 'error_log_task_phones', 'message_sid', missing)) {
      phones.set(sid, String(row.user_phone));
    }
    const touched = events.filter((e) => e.type !== 'SmsReceived').map(sidOf);
    const errors = await loadRows(
      tx,
      'error_logs',
      'task_message_sid',
      touched.filter((s) => s !== undefined),
      'id',
    );
    const changed = new Set<Row>();
    const errorsBefore = (sid: string, revision: number) =>
      [...errors.values()].filter((r) => r.task_message_sid === sid && Number(r.stream_revision) < revision);

    for (const event of events) {
      const sid = sidOf(event);
      if (sid === undefined) continue;
      const at = iso(event.metadata.occurredAt);
      switch (event.type) {
        case 'SmsReceived':
          break;
        case 'TaskFailed': {
          if (errors.has(event.id)) break;
          const row: Row = {
            id: event.id,
            type: event.data.errorType,
            // Provider errors quote the numbers they refused; the row already names the sender.
            message: maskPhonesIn(event.data.errorMessage),
            task_message_sid: sid,
            user_phone: phones.get(sid) ?? null,
            step: event.data.step,
            attempts: event.data.attempts,
            round: event.data.round,
            stream_revision: event.revision,
            created_at: at,
            resolved: false,
            resolved_at: null,
            retry_requested_at: null,
            retry_requested_by: null,
          };
          errors.set(event.id, row);
          changed.add(row);
          break;
        }
        case 'TaskRetryRequested':
          for (const row of errorsBefore(sid, event.revision)) {
            if (row.resolved || row.retry_requested_at !== null) continue;
            Object.assign(row, { retry_requested_at: at, retry_requested_by: event.data.requestedBy });
            changed.add(row);
          }
          break;
        case 'TaskCompleted':
          for (const row of errorsBefore(sid, event.revision)) {
            if (row.resolved) continue;
            Object.assign(row, { resolved: true, resolved_at: at });
            changed.add(row);
          }
          break;
        case 'ErrorResolved': {
          // Closed by hand through the admin API (who and why are in the audit trail).
          const row = errors.get(event.data.errorId);
          if (!row || row.task_message_sid !== sid || row.resolved) break;
          Object.assign(row, { resolved: true, resolved_at: at });
          changed.add(row);
          break;
        }
        default:
          assertNever(event);
      }
    }
    saveRows(
      tx,
      'error_log_task_phones',
      'message_sid',
      ['message_sid', 'user_phone'],
      newPhones.map(([message_sid, user_phone]) => ({ message_sid, user_phone })),
      { onConflict: 'nothing' },
    );
    saveRows(tx, 'error_logs', 'id', COLUMNS, changed);
    // A failure item carries its task's last error, so a changed error changes that item.
    tx.announce({ failures: [...new Set([...changed].map((r) => String(r.task_message_sid)))] });
  },
});
