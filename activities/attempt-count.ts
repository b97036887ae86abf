import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** What an activity's failure carries in its details so the workflow can record the attempts made. */
export interface AttemptDetail {
  attempt: number;
}

/**
 * Stamps every activity failure with the attempt that made it. A workflow cannot see how many
 * attempts a step took (ActivityFailure carries no count, and a local activity's failure comes
 * bare), but TaskFailed.attempts must say it: ops read it in the failure queue.
 */
export const attemptCounting: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (error) {
        throw withAttempt(error, ctx.info.attempt);
      }
    },
  },
});

function withAttempt(error: unknown, attempt: number): unknown {
  // Cancellation must stay what it is for the SDK to treat it as one.
  if (error instanceof CancelledFailure) return error;
  const cause = error instanceof Error ? error : new Error(String(error));
  const app = cause instanceof ApplicationFailure ? cause : undefined;
  const failure = ApplicationFailure.create({
    message: cause.message,
    // The type retry policies match on: the failure's own, or the error's class name as the SDK would use.
    type: app ? (app.type ?? undefined) : cause.name,
    nonRetryable: app?.nonRetryable ?? false,
    nextRetryDelay: app?.nextRetryDelay ?? undefined,
    category: app?.category ?? undefined,
    details: [...(app?.details ?? []), { attempt } satisfies AttemptDetail],
    cause: app ? (app.cause ?? undefined) : (cause.cause as Error | undefined),
  });
  failure.stack = cause.stack;
  return failure;
}
