import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aiPrices, ConfigError, corsOrigins, fallbackModelFor, loadConfig, spendPolicy } from '../../infra/config.js';

const emptyDir = () => mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
const load = (env: Record<string, string>, cwd = emptyDir()) => loadConfig(env, cwd);
const problemsOf = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('given no variables, it uses the documented defaults', () => {
    const config = load({});
    expect(config.PORT).toBe(3000);
    expect(config.TEMPORAL_TASK_QUEUE).toBe('sms-agent');
    expect(config.REPLY_MAX_SEGMENTS).toBe(3);
    expect(config.QUOTA_FREE_PER_MINUTE).toBe(10);
    expect(config.QUOTA_PREMIUM_PER_MONTH).toBe(10_000);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('converts numbers from strings', () => {
    expect(load({ PORT: '8080', QUOTA_FREE_PER_DAY: '5' })).toMatchObject({ PORT: 8080, QUOTA_FREE_PER_DAY: 5 });
  });

  it('names the variable that is wrong', () => {
    expect(problemsOf({ PORT: 'eighty' }).map((p) => p.variable)).toEqual(['PORT']);
    expect(problemsOf({ DATABASE_URL: 'not a url' }).map((p) => p.variable)).toEqual(['DATABASE_URL']);
    expect(problemsOf({ LOG_LEVEL: 'loud' }).map((p) => p.variable)).toEqual(['LOG_LEVEL']);
    expect(problemsOf({ TEMPORAL_ADDRESS: 'localhost' }).map((p) => p.variable)).toEqual(['TEMPORAL_ADDRESS']);
  });

  it('lists every bad variable at once', () => {
    const variables = problemsOf({ PORT: '-1', REPLY_MAX_SEGMENTS: '0' }).map((p) => p.variable);
    expect(variables.sort()).toEqual(['PORT', 'REPLY_MAX_SEGMENTS']);
  });

  it('requires all Twilio credentials once one is set', () => {
    const variables = problemsOf({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}` }).map((p) => p.variable);
    expect(variables.sort()).toEqual(['TWILIO_AUTH_TOKEN', 'TWILIO_PHONE_NUMBER']);
  });

  it('never echoes a secret in its message', () => {
    try {
      load({ ADMIN_API_TOKEN: 'short' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as Error).message).toContain('ADMIN_API_TOKEN');
      expect((error as Error).message).not.toContain('short');
    }
  });

  it('reads .env, and the real environment wins over it', () => {
    const dir = emptyDir();
    writeFileSync(path.join(dir, '.env'), 'PORT=4000\nREPLY_MAX_SEGMENTS=2\n');
    expect(load({ PORT: '5000' }, dir)).toMatchObject({ PORT: 5000, REPLY_MAX_SEGMENTS: 2 });
  });

  it('treats an empty variable as unset', () => {
    const config = load({ DATABASE_URL: '', PORT: '' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.PORT).toBe(3000);
  });
});

describe('cost and abuse guards in the configuration', () => {
  it('given an AI timeout the AI activity would cut short, start-up stops naming OPENAI_TIMEOUT_MS', () => {
    expect(problemsOf({ OPENAI_TIMEOUT_MS: '115000' })).toEqual([
      { variable: 'OPENAI_TIMEOUT_MS', message: expect.stringMatching(/at most 110000 ms.*120000 ms/) },
    ]);
    expect(load({ OPENAI_TIMEOUT_MS: '110000' }).OPENAI_TIMEOUT_MS).toBe(110_000);
  });

  it('given MMS settings, then defaults of 5 MB and 15 s, and a download plus AI call past the AI step stops start-up', () => {
    expect(load({})).toMatchObject({ MMS_MAX_BYTES: 5 * 1024 * 1024, MMS_FETCH_TIMEOUT_MS: 15_000 });
    expect(load({}).OPENAI_MODEL_VISION).toBeUndefined();
    expect(problemsOf({ OPENAI_MODEL_VISION: 'gpt-4o', MMS_FETCH_TIMEOUT_MS: '60000' })).toEqual([
      { variable: 'MMS_FETCH_TIMEOUT_MS', message: expect.stringMatching(/at most 110000 ms/) },
    ]);
    // Without a vision model nothing is downloaded: no rule between the two.
    expect(load({ MMS_FETCH_TIMEOUT_MS: '60000' }).MMS_FETCH_TIMEOUT_MS).toBe(60_000);
  });

  it('given SMS_ALLOWED_COUNTRIES with an entry that is neither a calling code nor a region, start-up names it', () => {
    expect(problemsOf({ SMS_ALLOWED_COUNTRIES: '1,Atlantis' })).toEqual([
      { variable: 'SMS_ALLOWED_COUNTRIES', message: expect.stringMatching(/"Atlantis"/) },
    ]);
    expect(load({ SMS_ALLOWED_COUNTRIES: '+1, GB' }).SMS_ALLOWED_COUNTRIES).toBe('+1, GB');
  });

  it('given no fallback model, or one equal to the task model, then there is none', () => {
    expect(fallbackModelFor(load({}), 'gpt-4o-mini')).toBeUndefined();
    const config = load({ OPENAI_FALLBACK_MODEL: 'gpt-4o-mini' });
    expect(fallbackModelFor(config, 'gpt-4o-mini')).toBeUndefined();
    expect(fallbackModelFor(config, 'gpt-4o')).toBe('gpt-4o-mini');
  });

  it('gives the AI step 3 paid calls per SMS and round by default, and at most the retry policy allows', () => {
    expect(load({}).AI_MAX_CALLS_PER_SMS).toBe(3);
    expect(problemsOf({ AI_MAX_CALLS_PER_SMS: '9' })[0]?.variable).toBe('AI_MAX_CALLS_PER_SMS');
  });
});

describe('edge security in the configuration', () => {
  it('given no CORS_ORIGINS, no origin is allowed; given some, they are read as origins', () => {
    expect(corsOrigins(load({}))).toEqual([]);
    const config = load({ CORS_ORIGINS: 'https://admin.example.com, http://localhost:5173/' });
    expect(corsOrigins(config)).toEqual(['https://admin.example.com', 'http://localhost:5173']);
  });

  it('given CORS_ORIGINS with an entry that is not an origin, start-up names the variable and the entry', () => {
    for (const bad of ['admin.example.com', 'https://admin.example.com/path', 'ftp://files.example.com', '*']) {
      const problems = problemsOf({ CORS_ORIGINS: `https://ok.example.com,${bad}` });
      expect(problems.map((p) => p.variable)).toEqual(['CORS_ORIGINS']);
      expect(problems[0]?.message).toContain(JSON.stringify(bad));
    }
  });

  it('allows 600 public requests per IP and minute by default, and at least one', () => {
    expect(load({}).PUBLIC_RATE_LIMIT_PER_MINUTE).toBe(600);
    expect(load({ PUBLIC_RATE_LIMIT_PER_MINUTE: '5' }).PUBLIC_RATE_LIMIT_PER_MINUTE).toBe(5);
    expect(problemsOf({ PUBLIC_RATE_LIMIT_PER_MINUTE: '0' })[0]?.variable).toBe('PUBLIC_RATE_LIMIT_PER_MINUTE');
  });
});

describe('spend caps and prices', () => {
  it('given no spend variables, there is no cap and no budget, and the built-in prices', () => {
    const config = load({});
    expect(spendPolicy(config)).toEqual({
      free: { dayUsd: undefined, monthUsd: undefined },
      premium: { dayUsd: undefined, monthUsd: undefined },
    });
    expect(config.AI_DAILY_BUDGET_USD).toBeUndefined();
    expect(aiPrices(config)['gpt-4o-mini']).toEqual({ input: 0.15, output: 0.6 });
  });

  it('reads the caps per tier and window in USD', () => {
    const config = load({
      SPEND_CAP_FREE_DAY_USD: '0.05',
      SPEND_CAP_PREMIUM_MONTH_USD: '20',
      AI_DAILY_BUDGET_USD: '50',
    });
    expect(spendPolicy(config)).toEqual({
      free: { dayUsd: 0.05, monthUsd: undefined },
      premium: { dayUsd: undefined, monthUsd: 20 },
    });
    expect(config.AI_DAILY_BUDGET_USD).toBe(50);
  });

  it('given a cap that is not a number of 0 or more, start-up names the variable', () => {
    expect(problemsOf({ SPEND_CAP_FREE_MONTH_USD: 'ten' }).map((p) => p.variable)).toEqual([
      'SPEND_CAP_FREE_MONTH_USD',
    ]);
    expect(problemsOf({ SPEND_CAP_PREMIUM_DAY_USD: '-1' }).map((p) => p.variable)).toEqual([
      'SPEND_CAP_PREMIUM_DAY_USD',
    ]);
    expect(problemsOf({ AI_DAILY_BUDGET_USD: '$5' }).map((p) => p.variable)).toEqual(['AI_DAILY_BUDGET_USD']);
  });

  it('given AI_PRICES_JSON, its entries replace or add to the built-in list prices', () => {
    const prices = aiPrices(
      load({ AI_PRICES_JSON: '{"GPT-4o-mini": {"input": 1, "output": 2}, "llama3": {"input": 0, "output": 0}}' }),
    );
    expect(prices['gpt-4o-mini']).toEqual({ input: 1, output: 2 });
    expect(prices.llama3).toEqual({ input: 0, output: 0 });
    expect(prices['gpt-4o']).toEqual({ input: 2.5, output: 10 });
  });

  it('given AI_PRICES_JSON that is not JSON or has a bad entry, start-up names the variable', () => {
    expect(problemsOf({ AI_PRICES_JSON: '{gpt' })).toEqual([
      { variable: 'AI_PRICES_JSON', message: expect.stringMatching(/not JSON/) },
    ]);
    expect(problemsOf({ AI_PRICES_JSON: '{"gpt-4o": {"input": -1, "output": 2}}' })).toEqual([
      { variable: 'AI_PRICES_JSON', message: expect.stringMatching(/"gpt-4o"/) },
    ]);
  });
});
