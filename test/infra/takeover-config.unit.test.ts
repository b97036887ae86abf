import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infra/config.js';

const load = (env: Record<string, string>) => loadConfig(env, mkdtempSync(path.join(os.tmpdir(), 'cfg-')));
const problemsOf = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((p) => p.variable);
  }
  throw new Error('expected a ConfigError');
};

describe('takeover and AGENT configuration', () => {
  it('given nothing set, a takeover lasts 24 hours and AGENT asks for a person', () => {
    expect(load({})).toMatchObject({ TAKEOVER_HOURS: 24, AGENT_KEYWORDS: 'AGENT' });
  });

  it('accepts fractional hours and a list of words', () => {
    expect(load({ TAKEOVER_HOURS: '0.5', AGENT_KEYWORDS: 'agent, human' })).toMatchObject({
      TAKEOVER_HOURS: 0.5,
      AGENT_KEYWORDS: 'agent, human',
    });
  });

  it('refuses zero, negative, over 30 days or non-numeric hours', () => {
    for (const hours of ['0', '-1', '721', 'soon'])
      expect(problemsOf({ TAKEOVER_HOURS: hours })).toEqual(['TAKEOVER_HOURS']);
  });

  it('refuses phrases and words that already mean another keyword', () => {
    expect(problemsOf({ AGENT_KEYWORDS: 'talk to a human' })).toEqual(['AGENT_KEYWORDS']);
    expect(problemsOf({ AGENT_KEYWORDS: 'AGENT,HELP' })).toEqual(['AGENT_KEYWORDS']);
  });
});
