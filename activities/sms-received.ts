import { smsStream } from '../domain/events/envelope.js';
import { type EventStore, WrongExpectedVersionError } from '../eventstore/port.js';
import { type SmsTaskInput, workflowIdFor } from '../workflows/types.js';
import { appendEvents, type Causation, draftEventId } from './event-log.js';

const STEP = 'received';

/**
 * Appends `SmsReceived` as the first event of stream `sms-<MessageSid>`. The one place that
 * makes this event: the webhook accepts an SMS with it, and the workflow's first activity
 * re-appends it, so both must produce the same id (a duplicate delivery or the activity then
 * re-appends it as a no-op). `duplicate` is true when the event was already there.
 */
export async function recordSmsReceived(
  store: EventStore,
  input: SmsTaskInput,
  now: Date,
): Promise<{ duplicate: boolean }> {
  const stream = smsStream(input.messageSid);
  const cause: Causation = { correlationId: workflowIdFor(input.messageSid), round: 0, now };
  try {
    const result = await appendEvents(
      store,
      stream,
      [{ type: 'SmsReceived', step: STEP, data: smsReceivedData(input) }],
      cause,
      'no_stream',
    );
    return { duplicate: result.position === undefined };
  } catch (error) {
    // The PostgreSQL store reports an identical re-append as success; a store that reports it
    // as a revision conflict instead is told apart here: the stream starting with this very
    // event is the same SMS again.
    if (!(error instanceof WrongExpectedVersionError)) throw error;
    const [first] = await store.readStream(stream, { maxCount: 1 });
    if (first?.id === draftEventId(stream, STEP, cause)) return { duplicate: true };
    throw error;
  }
}

/** The event's data is exactly the workflow's input (the inbox starter turns it back into one). */
const smsReceivedData = (input: SmsTaskInput): SmsTaskInput => ({
  messageSid: input.messageSid,
  from: input.from,
  to: input.to,
  body: input.body,
  numMedia: input.numMedia,
  provider: input.provider,
  receivedAt: input.receivedAt,
});

/** The workflow input an SmsReceived event carries. */
export const smsTaskInputFrom = (data: unknown): SmsTaskInput => smsReceivedData(data as SmsTaskInput);
