import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE, estimateCostUsd, priceOf } from '../../../domain/sms-task/pricing.js';

describe('estimateCostUsd', () => {
  it('given gpt-4o-mini tokens, then the cost follows its per-million rates', () => {
    // 1000 * 0.15 / 1e6 + 500 * 0.6 / 1e6
    expect(estimateCostUsd('gpt-4o-mini', 1000, 500)).toBe(0.00045);
  });

  it('given a dated snapshot, then its family price applies (longest prefix wins)', () => {
    expect(priceOf('gpt-4o-mini-2024-07-18')).toEqual(priceOf('gpt-4o-mini'));
    expect(priceOf('gpt-4o-2024-08-06')).toEqual(priceOf('gpt-4o'));
    expect(priceOf('GPT-4.1-MINI')).toEqual(priceOf('gpt-4.1-mini'));
  });

  it('given an unknown model, then the default rate applies, never zero', () => {
    expect(priceOf('llama3.1:8b')).toBe(DEFAULT_PRICE);
    expect(estimateCostUsd('llama3.1:8b', 1_000_000, 0)).toBe(DEFAULT_PRICE.input);
  });

  it('given no tokens, then no cost', () => {
    expect(estimateCostUsd('gpt-4o', 0, 0)).toBe(0);
  });
});
