import { assertNever, defineReadModel, type ProjectionEvent } from '../runtime/types.js';
import { iso, loadRows, type Row, saveRows, selectRowsBy } from '../shared/rows.js';

export const BROADCAST_EVENTS = [
  'BroadcastStarted',
  'BroadcastAudienceListed',
  'BroadcastRecipientSent',
  'BroadcastRecipientSkipped',
  'BroadcastRecipientFailed',
  'BroadcastCompleted',
  'BroadcastCancelled',
] as const;
type BroadcastProjectionEvent = ProjectionEvent<(typeof BROADCAST_EVENTS)[number]>;

const BROADCAST_COLUMNS = [
  'id',
  'text',
  'audience',
  'started_by',
  'started_at',
  'state',
  'total',
  'sent',
  'skipped',
  'failed',
  'encoding',
  'segments_per_message',
  'completed_at',
  'cancelled_at',
  'cancelled_by',
  'cancel_reason',
  'revision',
] as const;
const RECIPIENT_COLUMNS = [
  'broadcast_id',
  'seq',
  'phone',
  'status',
  'reason',
  'detail',
  'error',
  'provider_message_sid',
  'segments',
  'updated_at',
] as const;

const keyOf = (broadcastId: string, seq: number) => `${broadcastId}/${seq}`;

/** The recipients a batch touches: every number of an audience slice, every recipient with a result. */
function recipientKeys(events: readonly BroadcastProjectionEvent[]): { ids: string[]; seqs: number[] } {
  const ids: string[] = [];
  const seqs: number[] = [];
  for (const event of events) {
    if (event.type === 'BroadcastAudienceListed') {
      event.data.phones.forEach((_, i) => {
        ids.push(event.data.broadcastId);
        seqs.push(event.data.from + i);
      });
    } else if ('seq' in event.data) {
      ids.push(event.data.broadcastId);
      seqs.push(event.data.seq);
    }
  }
  return { ids, seqs };
}

/**
 * broadcasts and broadcast_recipients. A recipient row is created pending from the audience and
 * takes its one result (sent, skipped, failed) once: a result for a row that has one already is a
 * replay. The broadcast row follows its own stream by revision; its counts are recounted from the
 * recipient rows in the same transaction, so they match them whatever the batch boundaries.
 */
export const broadcastsReadModel = defineReadModel<(typeof BROADCAST_EVENTS)[number]>({
  name: 'broadcasts',
  handles: BROADCAST_EVENTS,
  tables: ['broadcasts', 'broadcast_recipients'],
  async apply(tx, events) {
    const broadcasts = await loadRows(
      tx,
      'broadcasts',
      'id',
      events.map((e) => e.data.broadcastId),
    );
    const keys = recipientKeys(events);
    const recipients =
      keys.ids.length === 0
        ? new Map<string, Row>()
        : await selectRowsBy(
            tx,
            `SELECT r.*, r.broadcast_id || '/' || r.seq AS key FROM broadcast_recipients r
             WHERE (r.broadcast_id, r.seq) IN (SELECT * FROM unnest($1::text[], $2::int[]))`,
            [keys.ids, keys.seqs],
            'key',
          );
    const changedBroadcasts = new Set<Row>();
    const changedRecipients = new Set<Row>();
    const recount = new Set<string>();

    /** The broadcast's row when this event of its own stream was not applied yet. */
    const lifecycleRow = (event: BroadcastProjectionEvent) => {
      const row = broadcasts.get(event.data.broadcastId);
      if (!row || event.revision <= Number(row.revision)) return undefined;
      row.revision = event.revision;
      changedBroadcasts.add(row);
      recount.add(event.data.broadcastId);
      return row;
    };
    const result = (event: BroadcastProjectionEvent & { data: { seq: number; to: string } }, fields: Row) => {
      const key = keyOf(event.data.broadcastId, event.data.seq);
      let row = recipients.get(key);
      if (row && row.status !== 'pending') return;
      row ??= { broadcast_id: event.data.broadcastId, seq: event.data.seq, phone: event.data.to };
      Object.assign(row, { reason: null, detail: null, error: null, provider_message_sid: null, segments: null });
      Object.assign(row, fields, { updated_at: iso(event.metadata.occurredAt) });
      recipients.set(key, row);
      changedRecipients.add(row);
      recount.add(event.data.broadcastId);
    };

    for (const event of events) {
      const at = iso(event.metadata.occurredAt);
      switch (event.type) {
        case 'BroadcastStarted': {
          const { data } = event;
          if (broadcasts.has(data.broadcastId)) break;
          const row: Row = {
            id: data.broadcastId,
            text: data.text,
            audience: data.audience,
            started_by: data.startedBy,
            started_at: at,
            state: 'sending',
            total: data.recipients,
            sent: 0,
            skipped: 0,
            failed: 0,
            encoding: data.encoding,
            segments_per_message: data.segmentsPerMessage,
            completed_at: null,
            cancelled_at: null,
            cancelled_by: null,
            cancel_reason: null,
            revision: event.revision,
          };
          broadcasts.set(data.broadcastId, row);
          changedBroadcasts.add(row);
          recount.add(data.broadcastId);
          break;
        }
        case 'BroadcastAudienceListed':
          event.data.phones.forEach((phone, i) => {
            const key = keyOf(event.data.broadcastId, event.data.from + i);
            if (recipients.has(key)) return;
            const row: Row = {
              broadcast_id: event.data.broadcastId,
              seq: event.data.from + i,
              phone,
              status: 'pending',
              reason: null,
              detail: null,
              error: null,
              provider_message_sid: null,
              segments: null,
              updated_at: at,
            };
            recipients.set(key, row);
            changedRecipients.add(row);
          });
          break;
        case 'BroadcastRecipientSent':
          result(event, {
            status: 'sent',
            provider_message_sid: event.data.providerMessageSid,
            segments: event.data.segments,
          });
          break;
        case 'BroadcastRecipientSkipped':
          result(event, { status: 'skipped', reason: event.data.reason, detail: event.data.detail ?? null });
          break;
        case 'BroadcastRecipientFailed':
          result(event, { status: 'failed', error: event.data.error });
          break;
        case 'BroadcastCompleted': {
          const row = lifecycleRow(event);
          if (row) Object.assign(row, { state: 'completed', completed_at: at });
          break;
        }
        case 'BroadcastCancelled': {
          const row = lifecycleRow(event);
          if (row) {
            Object.assign(row, {
              state: 'cancelled',
              cancelled_at: at,
              cancelled_by: event.data.cancelledBy,
              cancel_reason: event.metadata.reason ?? null,
            });
          }
          break;
        }
        default:
          assertNever(event);
      }
    }
    saveRows(tx, 'broadcast_recipients', 'broadcast_id, seq', RECIPIENT_COLUMNS, changedRecipients);
    saveRows(tx, 'broadcasts', 'id', BROADCAST_COLUMNS, changedBroadcasts);
    if (recount.size > 0) {
      // After the writes above (deferred writes run in order): the counts are the rows' counts.
      tx.defer(
        `UPDATE broadcasts b SET sent = c.sent, skipped = c.skipped, failed = c.failed
         FROM (SELECT broadcast_id,
                 count(*) FILTER (WHERE status = 'sent')::int AS sent,
                 count(*) FILTER (WHERE status = 'skipped')::int AS skipped,
                 count(*) FILTER (WHERE status = 'failed')::int AS failed
               FROM broadcast_recipients
               WHERE broadcast_id IN (SELECT jsonb_array_elements_text($1::jsonb))
               GROUP BY broadcast_id) c
         WHERE b.id = c.broadcast_id`,
        [[...recount]],
      );
    }
  },
});
