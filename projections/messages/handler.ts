import { assertNever, defineReadModel, type ProjectionEvent } from '../runtime/types.js';
import { deliveryAdvances, isDelivered } from '../shared/delivery.js';
import { iso, loadRows, type Row, saveRows } from '../shared/rows.js';
import { streamId } from '../shared/streams.js';

export const MESSAGE_EVENTS = [
  'SmsReceived',
  'ReplySent',
  'DeliveryStatusUpdated',
  'BroadcastCreated',
  'BroadcastMessageSent',
  'BroadcastCompleted',
] as const;
type MessageProjectionEvent = ProjectionEvent<(typeof MESSAGE_EVENTS)[number]>;

const MESSAGE_COLUMNS = [
  'id',
  'phone',
  'direction',
  'body',
  'kind',
  'task_message_sid',
  'broadcast_id',
  'segments',
  'encoding',
  'provider',
  'created_at',
  'delivery_status',
  'delivery_error_code',
  'delivery_updated_at',
  'delivered_at',
] as const;
const BROADCAST_COLUMNS = [
  'id',
  'body',
  'audience',
  'created_by',
  'created_at',
  'sent',
  'skipped',
  'completed_at',
  'revision',
] as const;

const NULLS: Row = Object.fromEntries(MESSAGE_COLUMNS.map((c) => [c, null]));
const blankMessage = (id: string, direction: 'in' | 'out'): Row => ({ ...NULLS, id, direction });

/** Which message an event is about: the inbound MessageSid or the outbound provider sid. */
function messageIdOf(event: MessageProjectionEvent): string | undefined {
  switch (event.type) {
    case 'SmsReceived':
      return event.data.messageSid;
    case 'ReplySent':
    case 'DeliveryStatusUpdated':
    case 'BroadcastMessageSent':
      return event.data.providerMessageSid;
    case 'BroadcastCreated':
    case 'BroadcastCompleted':
      return undefined;
    default:
      return assertNever(event);
  }
}

/**
 * messages: every SMS in and out, per person. Content fields come from the one event that created
 * the message (the same values on a replay); delivery only moves forward (see shared/delivery.ts).
 * A status callback can be recorded before its ReplySent, so a message may start as a delivery-only
 * row that ReplySent fills in. broadcasts: each broadcast and its counts (guarded by revision).
 */
export const messagesReadModel = defineReadModel<(typeof MESSAGE_EVENTS)[number]>({
  name: 'messages',
  handles: MESSAGE_EVENTS,
  tables: ['messages', 'broadcasts'],
  async apply(tx, events) {
    const messages = await loadRows(
      tx,
      'messages',
      'id',
      events.map(messageIdOf).filter((id) => id !== undefined),
    );
    const broadcastIds = events
      .filter((e) => e.type.startsWith('Broadcast'))
      .map((e) => streamId(e.streamName, 'broadcast'))
      .filter((id) => id !== undefined);
    const broadcasts = await loadRows(tx, 'broadcasts', 'id', broadcastIds);
    const changedMessages = new Set<Row>();
    const changedBroadcasts = new Set<Row>();

    const message = (id: string, direction: 'in' | 'out') => {
      let row = messages.get(id);
      if (!row) {
        row = blankMessage(id, direction);
        messages.set(id, row);
      }
      changedMessages.add(row);
      return row;
    };
    /** The broadcast row, or undefined when this event was applied to it already. */
    const broadcastFor = (event: MessageProjectionEvent) => {
      const id = streamId(event.streamName, 'broadcast');
      const row = id === undefined ? undefined : broadcasts.get(id);
      if (!row || event.revision <= Number(row.revision)) return undefined;
      row.revision = event.revision;
      changedBroadcasts.add(row);
      return row;
    };

    for (const event of events) {
      const at = iso(event.metadata.occurredAt);
      switch (event.type) {
        case 'SmsReceived':
          Object.assign(message(event.data.messageSid, 'in'), {
            phone: event.data.from,
            body: event.data.body,
            kind: 'sms',
            task_message_sid: event.data.messageSid,
            provider: event.data.provider,
            created_at: iso(event.data.receivedAt),
          });
          break;
        case 'ReplySent':
          Object.assign(message(event.data.providerMessageSid, 'out'), {
            phone: event.data.to,
            body: event.data.body,
            kind: event.data.kind,
            task_message_sid: streamId(event.streamName, 'sms') ?? null,
            segments: event.data.segments,
            encoding: event.data.encoding,
            provider: event.data.provider,
            created_at: at,
          });
          break;
        case 'DeliveryStatusUpdated': {
          const row = message(event.data.providerMessageSid, 'out');
          row.task_message_sid ??= streamId(event.streamName, 'sms') ?? null;
          if (!deliveryAdvances(row.delivery_status, event.data.status)) break;
          row.delivery_status = event.data.status;
          row.delivery_error_code = event.data.errorCode ?? null;
          row.delivery_updated_at = at;
          if (isDelivered(event.data.status)) row.delivered_at ??= at;
          break;
        }
        case 'BroadcastCreated': {
          const id = streamId(event.streamName, 'broadcast') ?? event.data.broadcastId;
          if (broadcasts.has(id)) break;
          const row: Row = {
            id,
            body: event.data.body,
            audience: event.data.audience,
            created_by: event.data.createdBy,
            created_at: at,
            sent: 0,
            skipped: null,
            completed_at: null,
            revision: event.revision,
          };
          broadcasts.set(id, row);
          changedBroadcasts.add(row);
          break;
        }
        case 'BroadcastMessageSent': {
          const broadcast = broadcastFor(event);
          if (broadcast) broadcast.sent = Number(broadcast.sent) + 1;
          const id = streamId(event.streamName, 'broadcast') ?? null;
          Object.assign(message(event.data.providerMessageSid, 'out'), {
            phone: event.data.to,
            body: id === null ? null : (broadcasts.get(id)?.body ?? null),
            kind: 'broadcast',
            broadcast_id: id,
            segments: event.data.segments,
            created_at: at,
          });
          break;
        }
        case 'BroadcastCompleted': {
          const broadcast = broadcastFor(event);
          if (broadcast) Object.assign(broadcast, { skipped: event.data.skipped, completed_at: at });
          break;
        }
        default:
          assertNever(event);
      }
    }
    saveRows(tx, 'broadcasts', 'id', BROADCAST_COLUMNS, changedBroadcasts);
    saveRows(tx, 'messages', 'id', MESSAGE_COLUMNS, changedMessages);
  },
});
