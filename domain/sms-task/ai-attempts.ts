/**
 * How the AI step spends its paid calls. Each attempt of the AI activity makes at most one call,
 * so Temporal's attempt number (kept by the server, across worker crashes) counts the calls of a
 * round; AI_MAX_CALLS_PER_SMS bounds them. Attempt 1 asks the task's model; later attempts take
 * turns, the fallback model first, so a model that is down costs one call, not one per attempt.
 */
export function modelForAttempt(
  attempt: number,
  model: string,
  fallback: string | undefined,
): { model: string; fallbackUsed: boolean } {
  if (fallback === undefined || attempt % 2 === 1) return { model, fallbackUsed: false };
  return { model: fallback, fallbackUsed: true };
}

export type AiFailureKind = 'rate_limited' | 'rejected' | 'model_rejected' | 'transient';

/** After a failed call: try again (the next attempt's model per modelForAttempt), or give up for this round. */
export function afterAiFailure(failure: {
  kind: AiFailureKind;
  attempt: number;
  maxCalls: number;
  hasFallback: boolean;
}): 'retry' | 'give_up' {
  if (failure.kind === 'rejected') return 'give_up';
  if (failure.attempt >= failure.maxCalls) return 'give_up';
  if (failure.kind === 'model_rejected' && !failure.hasFallback) return 'give_up';
  return 'retry';
}
