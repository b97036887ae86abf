import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { withDetail } from './errors.js';

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
        throw withDetail(error, { attempt: ctx.info.attempt } satisfies AttemptDetail);
      }
    },
  },
});
