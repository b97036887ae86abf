import { describe, expect, it } from 'vitest';
import { afterAiFailure, modelForAttempt } from '../../../domain/sms-task/ai-attempts.js';

describe('the AI step spends at most AI_MAX_CALLS_PER_SMS paid calls per round', () => {
  it('given a fallback model, then attempt 1 asks the task model and later attempts take turns, the fallback first', () => {
    expect([1, 2, 3, 4].map((a) => modelForAttempt(a, 'gpt-4o', 'gpt-4o-mini').model)).toEqual([
      'gpt-4o',
      'gpt-4o-mini',
      'gpt-4o',
      'gpt-4o-mini',
    ]);
    expect(modelForAttempt(2, 'gpt-4o', 'gpt-4o-mini').fallbackUsed).toBe(true);
  });

  it('given no fallback, then every attempt asks the task model', () => {
    expect([1, 2, 3].map((a) => modelForAttempt(a, 'm', undefined))).toEqual(
      Array(3).fill({ model: 'm', fallbackUsed: false }),
    );
  });

  it('given timeouts on every call, then the step gives up at the budget, not at the retry policy', () => {
    const decide = (attempt: number) => afterAiFailure({ kind: 'transient', attempt, maxCalls: 3, hasFallback: true });
    expect([1, 2, 3].map(decide)).toEqual(['retry', 'retry', 'give_up']);
  });

  it('given a rejected key, then no retry; given a model that refuses the request, then the fallback only', () => {
    expect(afterAiFailure({ kind: 'rejected', attempt: 1, maxCalls: 3, hasFallback: true })).toBe('give_up');
    expect(afterAiFailure({ kind: 'model_rejected', attempt: 1, maxCalls: 3, hasFallback: true })).toBe('retry');
    expect(afterAiFailure({ kind: 'model_rejected', attempt: 1, maxCalls: 3, hasFallback: false })).toBe('give_up');
  });
});
