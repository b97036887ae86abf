import { ApplicationFailure } from '@temporalio/common';

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
