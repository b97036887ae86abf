import { describe, expect, it } from 'vitest';
import { approxCharsFor, systemPrompt } from '../../../domain/classifier/prompts.js';
import { CATEGORIES } from '../../../domain/sms-task/events.js';

describe('systemPrompt', () => {
  it.each(CATEGORIES)('given the %s category, then the prompt states the SMS budget', (category) => {
    const prompt = systemPrompt(category, { maxSegments: 3, approxChars: approxCharsFor(3) });
    expect(prompt).toContain('about 459 characters');
    expect(prompt).toContain('3 SMS segments');
    expect(prompt).toMatch(/no markdown/i);
  });

  it('given different categories, then their roles differ', () => {
    const budget = { maxSegments: 1, approxChars: 160 };
    expect(systemPrompt('coding', budget)).not.toBe(systemPrompt('general', budget));
    expect(systemPrompt('general', budget)).toContain('1 SMS segment)');
  });

  it('given a budget in segments, then the characters are 160 for one and 153 per part beyond', () => {
    expect(approxCharsFor(1)).toBe(160);
    expect(approxCharsFor(2)).toBe(306);
  });
});
