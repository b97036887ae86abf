import { measure } from '../domain/sms/segments.js';
import type { ReplyIntentRecorded, ReplySent, ReplyWithheldReason } from '../domain/sms-task/events.js';
import type { EventStore, RecordedEvent } from '../eventstore/port.js';
import { appendEvents, type Causation, type Draft, findLast } from './event-log.js';
import { findIntendedSend, type OutboundSms, type SmsProvider } from './sms-provider.js';

/** One reply to send on one stream: a task's answer (sms-<sid>) or a person's reply (reply-<id>). */
export interface ReplySend {
  stream: string;
  /** The stream's events as read at the start of the attempt. */
  events: RecordedEvent[];
  cause: Causation;
  provider: SmsProvider;
  /** What to send, when no intent is recorded yet. */
  plan: () => ReplyIntentRecorded['data'];
  /** Why the reply may not go out now; checked after reconciliation, just before sending. */
  blocked: () => Promise<ReplyWithheldReason | undefined>;
  /** Records ReplyWithheld (the caller knows the kind and logs it). */
  withhold: (reason: ReplyWithheldReason) => Promise<void>;
  /** Twilio 21610: record the carrier opt-out on the person's stream. */
  optedOutAtCarrier: () => Promise<void>;
  /** Where the status callback reports to. */
  callback: Pick<OutboundSms, 'taskMessageSid' | 'replyId'>;
  /**
   * Events that go in the same append as ReplySent when this attempt records it (the task's
   * completion): one transaction fewer. Not called when ReplySent was already recorded.
   */
  withSent?: () => Draft[];
}

export type ReplySendOutcome =
  | { status: 'sent'; data: ReplySent['data'] }
  | { status: 'withheld'; reason: ReplyWithheldReason }
  | { status: 'recipient_opted_out' };

/**
 * Sends at most one reply per stream. Twilio's send is not idempotent, so the intent to send is
 * recorded first: an attempt that finds an intent without its ReplySent (a worker died between
 * Twilio's answer and the append, whatever the attempt number or retry round) asks Twilio whether
 * the message went out before sending it. A failed look-up fails the attempt (retried), never
 * reads as "not sent". The block check (opt-out, destination) comes just before sending.
 */
export async function sendOnce(store: EventStore, send: ReplySend): Promise<ReplySendOutcome> {
  const { stream, events, cause, provider } = send;
  const sent = findLast(events, 'ReplySent');
  if (sent) return { status: 'sent', data: sent.data };
  const record = async (
    planned: ReplyIntentRecorded['data'],
    providerMessageSid: string,
    name: SmsProvider['name'],
  ) => {
    const measured = measure(planned.body);
    const data = {
      ...planned,
      providerMessageSid,
      provider: name,
      segments: measured.segments,
      encoding: measured.encoding,
    };
    await appendEvents(
      store,
      stream,
      [{ type: 'ReplySent', step: 'reply', data }, ...(send.withSent?.() ?? [])],
      cause,
    );
    return { status: 'sent' as const, data };
  };
  const intent = findLast(events, 'ReplyIntentRecorded');
  if (intent) {
    const already = await findIntendedSend(provider, { ...intent.data, recordedAt: intent.metadata.occurredAt });
    if (already) return record(intent.data, already, provider.name);
  }
  const withheld = await send.blocked();
  if (withheld) {
    await send.withhold(withheld);
    return { status: 'withheld', reason: withheld };
  }
  let planned = intent?.data;
  if (!planned) {
    planned = send.plan();
    await appendEvents(store, stream, [{ type: 'ReplyIntentRecorded', step: 'reply-intent', data: planned }], cause);
  }
  const result = await provider.send({ to: planned.to, body: planned.body, ...send.callback });
  if (result.status === 'recipient_opted_out') {
    await send.optedOutAtCarrier();
    // Closes the intent: the record says why this reply never went out.
    await send.withhold('opted_out');
    return { status: 'recipient_opted_out' };
  }
  return record(planned, result.providerMessageSid, result.provider);
}
