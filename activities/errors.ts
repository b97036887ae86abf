import { ApplicationFailure, CancelledFailure } from '@temporalio/common';

/**
 * Error types the workflow's retry policies name in nonRetryableErrorTypes: retrying them cannot
 * help (a rejected request, a bad key, a recipient who opted out).
 */
export const NON_RETRYABLE = {
  aiRejected: 'AiRequestRejected',
  smsRejected: 'SmsRejected',
  invalidEvent: 'EventSchemaError',
} as const;

export const aiRejected = (message: string, cause?: Error) =>
  ApplicationFailure.create({ type: NON_RETRYABLE.aiRejected, message, nonRetryable: true, cause });

export const smsRejected = (message: string, cause?: Error) =>
  ApplicationFailure.create({ type: NON_RETRYABLE.smsRejected, message, nonRetryable: true, cause });

/** A 429 says when to come back; Temporal waits exactly that long before the next attempt. */
export const retryAfter = (type: string, message: string, delayMs: number) =>
  ApplicationFailure.create({ type, message, nonRetryable: false, nextRetryDelay: Math.max(100, delayMs) });

/**
 * The failure as an ApplicationFailure of the same type (retry policies match on it), with
 * `detail` added to its details: how an activity tells the workflow more than the error says
 * (the attempt that failed, the step of a combined activity). Cancellation stays what it is, for
 * the SDK to treat it as one.
 */
export function withDetail(error: unknown, detail: object): unknown {
  if (error instanceof CancelledFailure) return error;
  const cause = error instanceof Error ? error : new Error(String(error));
  const app = cause instanceof ApplicationFailure ? cause : undefined;
  const failure = ApplicationFailure.create({
    message: cause.message,
    // The failure's own type, or the error's class name as the SDK would use.
    type: app ? (app.type ?? undefined) : cause.name,
    nonRetryable: app?.nonRetryable ?? false,
    nextRetryDelay: app?.nextRetryDelay ?? undefined,
    category: app?.category ?? undefined,
    details: [...(app?.details ?? []), detail],
    cause: app ? (app.cause ?? undefined) : (cause.cause as Error | undefined),
  });
  failure.stack = cause.stack;
  return failure;
}
