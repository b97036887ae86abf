/** Shared between the workflow, its activities and the API: plain data only (no imports with I/O). */

export interface SmsTaskInput {
  messageSid: string;
  /** Sender: E.164 for a phone, else as Twilio sent it (see senderKind). */
  from: string;
  /** Absent on SMS recorded before other senders were kept: a phone. */
  senderKind?: 'phone' | 'short_code' | 'alphanumeric' | 'other';
  /** Our number the SMS was sent to. */
  to: string;
  body: string;
  /** Code points the sender sent, when more than the cap were cut off. */
  bodyTruncatedFrom?: number;
  numMedia: number;
  provider: 'twilio' | 'simulator';
  /** ISO time the webhook accepted the SMS. */
  receivedAt: string;
  /**
   * How long a failed task waits for a retry signal before it is abandoned (RETRY_WINDOW when
   * absent). Not part of the SMS: a task started by hand (or by a test) may shorten it.
   */
  retryWindow?: string;
}

export type SmsTaskOutcome =
  | 'answered'
  | 'keyword'
  | 'rate_limited'
  | 'opted_out'
  | 'nothing_to_continue'
  /** No reply can go to the sender; ReplyWithheld says why. */
  | 'unreplyable';

export type SmsTaskStep = 'received' | 'keyword' | 'classify' | 'rate-check' | 'ai' | 'reply' | 'done';

export interface SmsTaskStatus {
  step: SmsTaskStep | 'needs_attention' | 'failed';
  round: number;
  category?: string;
  outcome?: SmsTaskOutcome;
  lastError?: string;
}

export interface RetryRequest {
  requestedBy?: string;
}

/** Search attribute values of SmsStatus (registered as Keyword on the Temporal server). */
export type SmsStatusValue = 'PROCESSING' | 'NEEDS_ATTENTION' | 'COMPLETED' | 'FAILED';

export const workflowIdFor = (messageSid: string) => `sms-${messageSid}`;
