import { smsStream } from '../domain/events/envelope.js';
import type { EventStore } from '../eventstore/port.js';
import { type SmsTaskInput, workflowIdFor } from '../workflows/types.js';
import { appendEvents } from './event-log.js';

/**
 * Appends `SmsReceived` as the first event of stream `sms-<MessageSid>`. The one place that
 * makes this event: the webhook accepts an SMS with it, and the workflow's first activity
 * re-appends it, so both produce the same id. A duplicate delivery, or the activity after the
 * webhook, re-appends that id at the same place: an idempotent success in every event store
 * (the contract suite's "idempotent appends").
 */
export async function recordSmsReceived(store: EventStore, input: SmsTaskInput, now: Date): Promise<void> {
  await appendEvents(
    store,
    smsStream(input.messageSid),
    [{ type: 'SmsReceived', step: 'received', data: smsReceivedData(input) }],
    { correlationId: workflowIdFor(input.messageSid), round: 0, now },
    'no_stream',
  );
}

/** The event's data is exactly the workflow's input (the inbox starter turns it back into one). */
const smsReceivedData = (input: SmsTaskInput): SmsTaskInput => ({
  messageSid: input.messageSid,
  from: input.from,
  // Optional fields only when set: the event and the workflow input stay as they were for phones.
  ...(input.senderKind !== undefined && input.senderKind !== 'phone' && { senderKind: input.senderKind }),
  to: input.to,
  body: input.body,
  ...(input.bodyTruncatedFrom !== undefined && { bodyTruncatedFrom: input.bodyTruncatedFrom }),
  numMedia: input.numMedia,
  ...(input.media !== undefined && input.media.length > 0 && { media: input.media }),
  provider: input.provider,
  receivedAt: input.receivedAt,
});

/** The workflow input an SmsReceived event carries. */
export const smsTaskInputFrom = (data: unknown): SmsTaskInput => smsReceivedData(data as SmsTaskInput);
