import { describe, expect, it } from 'vitest';
import { AGENT_CONFIRMATION, detectKeyword, parseAgentKeywords } from '../../../domain/sms/keywords.js';
import { measure } from '../../../domain/sms/segments.js';

describe('the AGENT keyword (a texter asks for a person)', () => {
  const agentWords = parseAgentKeywords('agent, Human ,');

  it('AGENT_KEYWORDS is read as upper-case words, blanks dropped', () => {
    expect(agentWords).toEqual(['AGENT', 'HUMAN']);
  });

  it('given the configured words, a single word in any case with trailing punctuation is AGENT', () => {
    expect(detectKeyword(' agent! ', { agentWords })).toEqual({ keyword: 'AGENT', word: 'agent' });
    expect(detectKeyword('Human', { agentWords })).toEqual({ keyword: 'AGENT', word: 'Human' });
  });

  it('a sentence with the word is a question, not the keyword; without the list, AGENT is nothing', () => {
    expect(detectKeyword('agent please', { agentWords })).toBeUndefined();
    expect(detectKeyword('AGENT')).toBeUndefined();
  });

  it('the built-in keywords keep their meaning', () => {
    expect(detectKeyword('STOP', { agentWords: ['STOP'] })?.keyword).toBe('STOP');
  });

  it('the answer fits one GSM-7 segment', () => {
    expect(measure(AGENT_CONFIRMATION)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });
});
