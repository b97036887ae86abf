import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/**
 * Named timeout and retry presets; domain errors that no retry can fix are non-retryable.
 *
 * The quick steps (event appends, the rules classifier, the rate check, sending the SMS) run as
 * local activities: in the worker that runs the workflow task, retried there, recorded as markers
 * in the history. A remote activity costs the Temporal server a task queue round trip and three
 * more history writes; measured on the dev server (bench/support/empty-workflow.ts), 7 remote
 * no-op activities ran 24 workflows/s, 7 local ones 51/s. The AI call stays a remote activity:
 * it is slow, paid, heartbeats, and its attempts should be visible in the Temporal UI. From
 * workflow version 2 it also sends its answer (ANSWER_AND_REPLY below), so an answered SMS runs
 * one local activity before it and none after. From version 3 the quick steps run inside the one
 * remote activity instead (processSms on ANSWER_AND_REPLY): a local activity still costs the
 * workflow an activation and a marker, and an answered SMS needs the remote one anyway; these
 * local-activity presets serve the runs started before, and the failure steps.
 * A worker that dies during a local activity loses its workflow task; after the task's timeout
 * (10 s) another worker replays the workflow and runs the step again, which every step allows
 * (deterministic event ids; the send step checks ReplySent and Twilio first).
 */

/** Event appends and reads: quick, retried briskly (a PostgreSQL restart takes seconds). */
export const EVENT_STEP = {
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 20,
    nonRetryableErrorTypes: ['EventSchemaError'],
  },
} as const satisfies LocalActivityOptions;

/** The AI activity's start-to-close timeout; OPENAI_TIMEOUT_MS must end its call this much sooner. */
export const AI_CALL_TIMEOUT_MS = 120_000;
export const AI_CALL_MARGIN_MS = 10_000;

/**
 * The AI call: slow, heartbeating, retried with backoff; 429s come back after Retry-After. Each
 * attempt makes one paid call at most, so the attempt number counts the calls (AI_MAX_CALLS_PER_SMS).
 */
export const AI_CALL = {
  startToCloseTimeout: AI_CALL_TIMEOUT_MS,
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '20 seconds',
    maximumAttempts: 5,
    // MediaRejected: an MMS image too big or not an image after all (activities/media.ts).
    nonRetryableErrorTypes: ['AiRequestRejected', 'EventSchemaError', 'MediaRejected'],
  },
} as const satisfies ActivityOptions;

/** Sending an SMS: the activity checks ReplySent first, so a retry never sends twice. */
export const SEND_SMS = {
  startToCloseTimeout: '45 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 8,
    nonRetryableErrorTypes: ['SmsRejected', 'EventSchemaError'],
  },
} as const satisfies LocalActivityOptions;

/**
 * The AI call followed by the reply, in one remote activity (runs from SMS_TASK_VERSION 2): the
 * AI call's timeouts and heartbeat, and attempts for both steps. An attempt after the answer was
 * recorded calls no model (it reuses the answer), so a failing send spends attempts, not paid
 * calls; the model's own calls stay capped by AI_MAX_CALLS_PER_SMS. From version 3 the whole
 * round runs on it (processSms, the quick steps first): an attempt whose quick steps failed (the
 * database down) made no AI call, yet counts as one for the fallback model and the cap, which only
 * errs toward fewer paid calls.
 */
export const ANSWER_AND_REPLY = {
  ...AI_CALL,
  retry: {
    ...AI_CALL.retry,
    maximumAttempts: AI_CALL.retry.maximumAttempts + SEND_SMS.retry.maximumAttempts,
    nonRetryableErrorTypes: [...AI_CALL.retry.nonRetryableErrorTypes, 'SmsRejected'],
  },
} as const satisfies ActivityOptions;

/** Alerts are best effort: a few tries, then the workflow goes on waiting for a retry signal. */
export const ALERT = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
} as const satisfies ActivityOptions;

/** How long a failed task waits for ops to send `retry` before it is closed as FAILED. */
export const RETRY_WINDOW = '7 days';
