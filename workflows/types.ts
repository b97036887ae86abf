/** Shared between the workflow, its activities and the API: plain data only (no imports with I/O). */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
  /** MediaUrlN / MediaContentTypeN of an MMS (domain/sms/media.ts); absent on SMS and on runs from before MMS. */
  media?: { url?: string; contentType: string }[];
  provider: 'twilio' | 'simulator';
  /** ISO time the webhook accepted the SMS. */
  receivedAt: string;
  /**
   * How long a failed task waits for a retry signal before it is abandoned (RETRY_WINDOW when
   * absent). Not part of the SMS: a task started by hand (or by a test) may shorten it.
   */
  retryWindow?: string;
  /**
   * true when the task was started from the SmsReceived already in the event log (the inbox
   * starter): the first step then does not append it again (an idempotent no-op that still cost
   * three statements). Not part of the SMS; absent on runs started otherwise and before this.
   */
  inLog?: boolean;
  /**
   * The workflow code's generation the run was started for (SMS_TASK_VERSION). A run that carries
   * it takes that generation's path from its first step with no patch marker in its history; a
   * run without it (started otherwise, or before this field) decides by patch markers. It is in
   * the run's start event, so a replay takes the same path. Not part of the SMS.
   */
  version?: number;
}

/**
 * The generation the inbox starter starts smsTask runs at. 1: the path of patch 'one-marker'
 * (workflows/sms-task.ts). 2: the AI activity also sends the answer and completes the task (no
 * finishTask local activity after it). 3: one remote activity runs the whole round (processSms),
 * no local activity at all. A later change of the workflow's shape raises it and branches on
 * `input.version >= 4`; the runs started at 1-3 go on replaying as they were recorded.
 */
export const SMS_TASK_VERSION = 3;

export type SmsTaskOutcome =
  | 'answered'
  | 'keyword'
  | 'rate_limited'
  | 'opted_out'
  | 'nothing_to_continue'
  /** No reply can go to the sender; ReplyWithheld says why. */
  | 'unreplyable'
  /** A spend cap held the SMS back (domain/user/spend.ts). */
  | 'spend_capped'
  /** An MMS whose media the AI cannot see: a polite SMS said what it can, no AI call. */
  | 'media_unsupported'
  /** A person has taken the conversation over (domain/user/takeover.ts): no AI answer. */
  | 'taken_over';

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

/**
 * The step a failure's details name (the last one that does): a combined activity's failures say
 * which of its steps failed (activities/sms-task.ts, atStep), the media step says its own.
 */
export function stepNamedIn(details: readonly unknown[] | null | undefined): string | undefined {
  const named = (details ?? []).findLast(
    (d): d is { step: string } =>
      typeof d === 'object' && d !== null && typeof (d as { step?: unknown }).step === 'string',
  );
  return named?.step;
}

/** The SmsStatus search attribute: the starter sets PROCESSING at start, the workflow the rest. */
export const SMS_STATUS = defineSearchAttributeKey('SmsStatus', SearchAttributeType.KEYWORD);

/** Search attribute values of SmsStatus (registered as Keyword on the Temporal server). */
export type SmsStatusValue = 'PROCESSING' | 'NEEDS_ATTENTION' | 'COMPLETED' | 'FAILED';

export const workflowIdFor = (messageSid: string) => `sms-${messageSid}`;

/** A reply written by a person (workflows/human-reply.ts), sent on stream `reply-<replyId>`. */
export interface HumanReplyInput {
  replyId: string;
  /** E.164 of the person texted. */
  to: string;
  text: string;
  /** Who wrote it, as the admin API knows them. */
  actor: { name: string; role: 'admin' | 'ops' | 'analyst'; kind: 'session' | 'token' | 'bootstrap' };
  /** The channel the person's last SMS came through: a simulated conversation is answered in the simulator. */
  provider: 'twilio' | 'simulator';
}

export type HumanReplyResult =
  | { status: 'sent'; providerMessageSid: string; segments: number }
  /** Nothing sent: opted out (since the API checked, or at the carrier), or a destination we do not text. */
  | { status: 'withheld'; reason: string };

export const humanReplyWorkflowId = (replyId: string) => `reply-${replyId}`;

/** Broadcasts (workflows/broadcast.ts). */
export interface BroadcastCounts {
  sent: number;
  skipped: number;
  failed: number;
}

/**
 * One run of workflow `broadcast-<id>`: a cursor into the audience the API listed in the log,
 * never the list itself; continue-as-new carries the cursor, the counts and the last send's time.
 */
export interface BroadcastInput {
  broadcastId: string;
  /** Recipients in the audience (seq 0 .. total-1). */
  total: number;
  cursor?: number;
  counts?: BroadcastCounts;
  /** Epoch ms of the last send, so the pace holds across runs. */
  lastSentAt?: number;
  /** Recipients per activity call (default 100). */
  pageSize?: number;
  /** Pages per run before continue-as-new (default 50). */
  pagesPerRun?: number;
}

export interface BroadcastPageRequest {
  broadcastId: string;
  from: number;
  to: number;
  lastSentAt?: number;
}

export interface BroadcastPage {
  /** The next recipient to handle. */
  cursor: number;
  lastSentAt?: number;
  /** Of this page only. */
  counts: BroadcastCounts;
  /** The broadcast is no longer running (cancelled): send no more. */
  stopped: boolean;
}

export type BroadcastState = 'sending' | 'completed' | 'cancelled';

export interface BroadcastProgress extends BroadcastCounts {
  state: BroadcastState;
  cursor: number;
  total: number;
}

export interface BroadcastCancelRequest {
  cancelledBy?: string;
}
