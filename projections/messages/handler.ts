import { assertNever, defineReadModel, type ProjectionEvent } from '../runtime/types.js';
import { deliveryAdvances, isDelivered } from '../shared/delivery.js';
import { iso, loadRows, type Row, saveRows } from '../shared/rows.js';
import { streamId } from '../shared/streams.js';

export const MESSAGE_EVENTS = ['SmsReceived', 'ReplySent', 'DeliveryStatusUpdated', 'BroadcastRecipientSent'] as const;
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
const NULLS: Row = Object.fromEntries(MESSAGE_COLUMNS.map((c) => [c, null]));
const blankMessage = (id: string, direction: 'in' | 'out'): Row => ({ ...NULLS, id, direction });

/** Which message an event is about: the inbound MessageSid or the outbound provider sid. */
function messageIdOf(event: MessageProjectionEvent): string | undefined {
  switch (event.type) {
    case 'SmsReceived':
      return event.data.messageSid;
    case 'ReplySent':
    case 'DeliveryStatusUpdated':
    case 'BroadcastRecipientSent':
      return event.data.providerMessageSid;
    default:
      return assertNever(event);
  }
}

/**
 * messages: every SMS in and out, per person. Content fields come from the one event that created
 * the message (the same values on a replay); delivery only moves forward (see shared/delivery.ts).
 * A status callback can be recorded before its ReplySent, so a message may start as a delivery-only
 * row that ReplySent fills in. A broadcast's message to one person is a message of kind
 * 'broadcast' (the broadcasts read model keeps the broadcasts themselves).
 */
export const messagesReadModel = defineReadModel<(typeof MESSAGE_EVENTS)[number]>({
  name: 'messages',
  handles: MESSAGE_EVENTS,
  tables: ['messages'],
  async apply(tx, events) {
    const messages = await loadRows(
      tx,
      'messages',
      'id',
      events.map(messageIdOf).filter((id) => id !== undefined),
    );
    const changedMessages = new Set<Row>();

    const message = (id: string, direction: 'in' | 'out') => {
      let row = messages.get(id);
      if (!row) {
        row = blankMessage(id, direction);
        messages.set(id, row);
      }
      changedMessages.add(row);
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
        case 'BroadcastRecipientSent':
          Object.assign(message(event.data.providerMessageSid, 'out'), {
            phone: event.data.to,
            body: event.data.body,
            kind: 'broadcast',
            broadcast_id: event.data.broadcastId,
            segments: event.data.segments,
            encoding: event.data.encoding,
            provider: event.data.provider,
            created_at: at,
          });
          break;
        default:
          assertNever(event);
      }
    }
    saveRows(tx, 'messages', 'id', MESSAGE_COLUMNS, changedMessages);
  },
});
