import { measure, type SmsEncoding } from '../sms/segments.js';

export interface BroadcastEstimate {
  encoding: SmsEncoding;
  /** GSM-7 septets or UCS-2 code units of the text. */
  characters: number;
  segmentsPerMessage: number;
  /** People a message would go to: the audience less those known to be opted out or unreachable. */
  messages: number;
  /** Twilio bills per segment. */
  totalSegments: number;
  /** At the configured rate (BROADCAST_RATE_PER_SECOND), one message at a time. */
  durationSeconds: number;
}

/** What sending `text` to `messages` people costs and takes; pure, shared by the dry run and the progress view. */
export function estimateBroadcast(text: string, messages: number, ratePerSecond: number): BroadcastEstimate {
  const m = measure(text);
  return {
    encoding: m.encoding,
    characters: m.characters,
    segmentsPerMessage: m.segments,
    messages,
    totalSegments: messages * m.segments,
    durationSeconds: secondsAt(messages, ratePerSecond),
  };
}

/** Seconds to send `messages` at `ratePerSecond`, rounded up to a whole second. */
export const secondsAt = (messages: number, ratePerSecond: number) =>
  messages <= 0 ? 0 : Math.ceil(messages / ratePerSecond);
