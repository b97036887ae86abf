import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseDotenv } from 'dotenv';
import { detectKeyword, parseAgentKeywords } from '../domain/sms/keywords.js';
import { destinationsOf, parseReplyDestinations, type ReplyDestinations } from '../domain/sms/sender.js';
import { PRICES, parsePrices, type TokenPrice } from '../domain/sms-task/pricing.js';
import type { QuotaPolicy } from '../domain/user/quota.js';
import type { SpendPolicy } from '../domain/user/spend.js';
import { AI_CALL, AI_CALL_MARGIN_MS, AI_CALL_TIMEOUT_MS } from '../workflows/policies.js';

const Url = (description: string) => Type.String({ pattern: '^[a-z][a-z0-9+.-]*://\\S+$', description });
const PositiveInt = (def: number, description: string) => Type.Integer({ minimum: 1, default: def, description });

/** Every environment variable the service reads. README's configuration table follows this list. */
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** Unset: pretty on a terminal, JSON otherwise (infra/logger.ts reads it, before the config is loaded). */
  LOG_FORMAT: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pretty')])),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  PUBLIC_URL: Type.Optional(Url('public base URL Twilio calls; signatures are checked against it')),
  DATA_DIR: Type.String({ default: '.data', minLength: 1 }),

  DATABASE_URL: Type.Optional(Url('PostgreSQL URL; unset starts embedded PostgreSQL under DATA_DIR')),
  EVENTSTORE_URL: Type.Optional(Url('postgres (default, uses DATABASE_URL) or kurrentdb://... / esdb://...')),

  TEMPORAL_ADDRESS: Type.Optional(Type.String({ pattern: '^[^\\s:]+:\\d+$' })),
  TEMPORAL_NAMESPACE: Type.String({ default: 'default', minLength: 1 }),
  TEMPORAL_TASK_QUEUE: Type.String({ default: 'sms-agent', minLength: 1 }),
  TEMPORAL_CLI_PATH: Type.Optional(Type.String({ minLength: 1 })),
  TEMPORAL_UI_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 8233 }),

  TWILIO_ACCOUNT_SID: Type.Optional(Type.String({ pattern: '^AC[0-9a-fA-F]{32}$' })),
  TWILIO_AUTH_TOKEN: Type.Optional(Type.String({ minLength: 8 })),
  TWILIO_PHONE_NUMBER: Type.Optional(Type.String({ pattern: '^\\+[1-9]\\d{6,14}$' })),
  TWILIO_API_BASE_URL: Type.Optional(Url('Twilio-compatible API base URL (tests point it at a fake)')),

  OPENAI_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  OPENAI_BASE_URL: Type.Optional(Url('any OpenAI-compatible endpoint')),
  OPENAI_MODEL: Type.String({ default: 'gpt-4o-mini', minLength: 1 }),
  OPENAI_MODEL_CODING: Type.String({ default: 'gpt-4o', minLength: 1 }),
  /** Unset, or the same as the task's model: no fallback (a second identical call would only cost twice). */
  OPENAI_FALLBACK_MODEL: Type.Optional(Type.String({ minLength: 1 })),
  OPENAI_TIMEOUT_MS: PositiveInt(60_000, 'per-call timeout of the AI request'),

  // Pictures in (MMS): domain/sms/media.ts, activities/media.ts.
  OPENAI_MODEL_VISION: Type.Optional(
    Type.String({ minLength: 1, description: 'vision-capable model for MMS images; unset: MMS get a polite SMS' }),
  ),
  MMS_MAX_BYTES: PositiveInt(5 * 1024 * 1024, 'largest MMS image fetched from Twilio for the AI'),
  MMS_FETCH_TIMEOUT_MS: PositiveInt(15_000, 'timeout of one MMS media download from Twilio'),

  REPLY_MAX_SEGMENTS: PositiveInt(3, 'reply budget in SMS segments'),
  CONVERSATION_TURNS: Type.Integer({ minimum: 0, default: 6 }),

  QUOTA_FREE_PER_MINUTE: PositiveInt(10, ''),
  QUOTA_FREE_PER_DAY: PositiveInt(20, ''),
  QUOTA_FREE_PER_MONTH: PositiveInt(200, ''),
  QUOTA_PREMIUM_PER_MINUTE: PositiveInt(30, ''),
  QUOTA_PREMIUM_PER_DAY: PositiveInt(500, ''),
  QUOTA_PREMIUM_PER_MONTH: PositiveInt(10_000, ''),

  ALERT_SLACK_WEBHOOK_URL: Type.Optional(Url('Slack incoming webhook')),
  ALERT_DISCORD_WEBHOOK_URL: Type.Optional(Url('Discord incoming webhook')),
  ALERT_WEBHOOK_URL: Type.Optional(Url('generic JSON webhook')),

  ADMIN_API_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  WORKER_MAX_CONCURRENT_ACTIVITIES: PositiveInt(500, 'activities in flight per worker'),
  /** Bearer token for /metrics and the detail of /ready from other hosts; loopback callers need none. */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),

  // Cost and abuse guards (what a texter can make us pay for).
  SMS_ALLOWED_COUNTRIES: Type.Optional(
    Type.String({ minLength: 1, description: "calling codes / ISO regions replies may go to; default: our number's" }),
  ),
  PROJECTOR_LINGER_MS: Type.Integer({
    minimum: 0,
    maximum: 10_000,
    // Measured with bench/pg-statements.ts (issue #18): 150 ms against 5 ms cut projector
    // transactions from 3.4 to 0.9 per answered SMS and PostgreSQL's CPU per SMS by about a third.
    default: 150,
    description:
      'live, how long a projection waits for more events before it commits a batch (lag traded for fewer transactions)',
  }),
  KEYWORD_REPLIES_PER_HOUR: PositiveInt(5, 'HELP/START/MORE/RESET answers per sender per hour'),
  KEYWORD_REPLIES_PER_DAY: PositiveInt(20, 'HELP/START/MORE/RESET answers per sender per day'),
  AI_MAX_CALLS_PER_SMS: Type.Integer({
    minimum: 1,
    // One call per attempt: more calls than the AI step's retry policy has attempts cannot happen.
    maximum: AI_CALL.retry.maximumAttempts,
    default: 3,
    description: 'paid AI calls per SMS and retry round, fallback included',
  }),

  // Spend caps in money (domain/user/spend.ts): unset, no cap. Costs are estimates from AI_PRICES_JSON.
  SPEND_CAP_FREE_DAY_USD: Type.Optional(
    Type.Number({ minimum: 0, description: 'free tier: AI spend per person per UTC day' }),
  ),
  SPEND_CAP_FREE_MONTH_USD: Type.Optional(Type.Number({ minimum: 0, description: 'free tier: per UTC month' })),
  SPEND_CAP_PREMIUM_DAY_USD: Type.Optional(Type.Number({ minimum: 0, description: 'premium tier: per UTC day' })),
  SPEND_CAP_PREMIUM_MONTH_USD: Type.Optional(Type.Number({ minimum: 0, description: 'premium tier: per UTC month' })),
  AI_DAILY_BUDGET_USD: Type.Optional(
    Type.Number({ minimum: 0, description: 'AI spend of everyone per UTC day; an admin can change it from the API' }),
  ),
  AI_BUDGET_CACHE_SECONDS: Type.Number({
    minimum: 0,
    maximum: 300,
    default: 5,
    description: "how long a worker reuses today's global spend and the budget before reading them again",
  }),
  AI_PRICES_JSON: Type.Optional(
    Type.String({
      minLength: 2,
      description: '{"model": {"input": usd, "output": usd}} per 1M tokens, over the defaults',
    }),
  ),

  // Encrypted Temporal payloads (infra/payload-codec.ts, infra/temporal-data-converter.ts).
  TEMPORAL_PAYLOAD_KEYS: Type.Optional(
    Type.String({ minLength: 1, description: 'id:base64key[,id:base64key...]; the first encrypts, all decrypt' }),
  ),
  TEMPORAL_UI_ORIGIN: Type.Optional(Url('origin of the Temporal UI allowed to call the codec endpoint')),

  // PostgreSQL in operation: timeouts on every pool (0 turns one off) and the event store's horizon watch.
  PG_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 5_000, description: 'connect, or wait for a pooled one' }),
  PG_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 10_000, description: 'statement_timeout' }),
  PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 60_000 }),
  EVENTSTORE_APPEND_TIMEOUT_MS: PositiveInt(3_000, 'client-side deadline of each event store append query'),
  EVENTSTORE_HOLDBACK_ALERT_SECONDS: PositiveInt(60, 'alert when committed events wait this long behind a transaction'),

  // Admin API, who gets in (api/plugins/admin-auth.ts, api/auth/): sessions and login limits.
  SESSION_IDLE_HOURS: Type.Number({ exclusiveMinimum: 0, default: 12, description: 'a session unused this long ends' }),
  LOGIN_RATE_LIMIT_PER_MINUTE: PositiveInt(10, 'login attempts per client IP per minute'),
  LOGIN_MAX_FAILURES: PositiveInt(5, 'failed logins per account before it is locked for the window'),
  LOGIN_FAILURE_WINDOW_MINUTES: PositiveInt(15, 'how long failed logins count against an account'),

  // Admin API, read routes: where a task page links to its run in the Temporal UI.
  TEMPORAL_UI_URL: Type.Optional(Url('Temporal UI base URL for links; default TEMPORAL_UI_ORIGIN')),

  // Admin API, edge security (api/plugins/security.ts).
  CORS_ORIGINS: Type.Optional(
    Type.String({ minLength: 1, description: 'comma-separated origins allowed cross-origin calls; unset: none' }),
  ),
  PUBLIC_RATE_LIMIT_PER_MINUTE: PositiveInt(600, 'requests per client IP per minute on /sms/*, /health, /ready'),

  // A person takes over a conversation (domain/user/takeover.ts) or is asked for (AGENT keyword).
  TAKEOVER_HOURS: Type.Number({
    exclusiveMinimum: 0,
    maximum: 720,
    default: 24,
    description: 'how long a takeover pauses the AI unless released sooner',
  }),
  AGENT_KEYWORDS: Type.String({
    pattern: '^\\s*[A-Za-z0-9]+\\s*(,\\s*[A-Za-z0-9]+\\s*)*$',
    default: 'AGENT',
    description: 'comma-separated single words with which a texter asks for a person',
  }),

  // Broadcasts (workflows/broadcast.ts): one message at a time, at most this many per second.
  BROADCAST_RATE_PER_SECOND: Type.Number({
    // A page waits at most 100 s between two messages, well inside its 5-minute timeout.
    minimum: 0.01,
    maximum: 1000,
    default: 1,
    description: 'broadcast messages per second (1: a US long code; a short code takes 100)',
  }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}\n` +
        'Fix these environment variables (or .env) and start again.',
    );
    this.name = 'ConfigError';
  }
}

const keys = Object.keys(ConfigSchema.properties) as (keyof Config)[];

/** Reads `.env` (without overriding the real environment) and returns only the variables we know. */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Record<string, string> {
  const file = path.join(cwd, '.env');
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  const merged: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key] ?? fromFile[key];
    // An empty variable means "unset", as most twelve-factor tools treat it.
    if (value !== undefined && value !== '') merged[key] = value;
  }
  return merged;
}

/** Validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const raw = readEnvironment(env, cwd);
  const converted = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, { ...raw }));
  const problems = [...Value.Errors(ConfigSchema, converted)].map((e) => ({
    variable: e.path.replace(/^\//, '') || '(root)',
    message: `${e.message}${raw[e.path.slice(1)] !== undefined ? ` (got ${describe(e.path.slice(1), raw)})` : ''}`,
  }));
  const twilioKeys = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_PHONE_NUMBER'] as const;
  const twilioSet = twilioKeys.filter((k) => raw[k] !== undefined);
  if (twilioSet.length > 0 && twilioSet.length < twilioKeys.length) {
    for (const k of twilioKeys.filter((k) => raw[k] === undefined)) {
      problems.push({ variable: k, message: 'required when any TWILIO_* credential is set' });
    }
  }
  if (problems.length === 0) problems.push(...crossChecks(converted as Config));
  if (problems.length > 0) throw new ConfigError(dedupe(problems));
  return converted as Config;
}

/** Rules between variables, once each one is valid alone. */
function crossChecks(config: Config): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  // A call Temporal has already given up on still runs (and is paid for) in the worker.
  const limit = AI_CALL_TIMEOUT_MS - AI_CALL_MARGIN_MS;
  if (config.OPENAI_TIMEOUT_MS > limit) {
    problems.push({
      variable: 'OPENAI_TIMEOUT_MS',
      message: `must be at most ${limit} ms: the AI step's activity times out after ${AI_CALL_TIMEOUT_MS} ms (got ${config.OPENAI_TIMEOUT_MS})`,
    });
  }
  // MMS images are downloaded (in parallel) in the same activity, before the AI call.
  if (config.OPENAI_MODEL_VISION !== undefined && config.OPENAI_TIMEOUT_MS + config.MMS_FETCH_TIMEOUT_MS > limit) {
    problems.push({
      variable: 'MMS_FETCH_TIMEOUT_MS',
      message: `with OPENAI_TIMEOUT_MS must be at most ${limit} ms: both run in the AI step, which times out after ${AI_CALL_TIMEOUT_MS} ms`,
    });
  }
  if (config.CORS_ORIGINS !== undefined) {
    try {
      corsOrigins(config);
    } catch (error) {
      problems.push({ variable: 'CORS_ORIGINS', message: (error as Error).message });
    }
  }
  if (config.AI_PRICES_JSON !== undefined) {
    try {
      parsePrices(config.AI_PRICES_JSON);
    } catch (error) {
      problems.push({ variable: 'AI_PRICES_JSON', message: (error as Error).message });
    }
  }
  if (config.SMS_ALLOWED_COUNTRIES !== undefined) {
    try {
      parseReplyDestinations(config.SMS_ALLOWED_COUNTRIES);
    } catch (error) {
      problems.push({ variable: 'SMS_ALLOWED_COUNTRIES', message: (error as Error).message });
    }
  }
  const taken = parseAgentKeywords(config.AGENT_KEYWORDS).filter((w) => detectKeyword(w) !== undefined);
  if (taken.length > 0) {
    problems.push({ variable: 'AGENT_KEYWORDS', message: `${taken.join(', ')} already mean another keyword` });
  }
  return problems;
}

/** Where replies may go: SMS_ALLOWED_COUNTRIES, else the calling code of our number. */
export const replyDestinations = (config: Config): ReplyDestinations =>
  config.SMS_ALLOWED_COUNTRIES !== undefined
    ? parseReplyDestinations(config.SMS_ALLOWED_COUNTRIES)
    : destinationsOf(config.TWILIO_PHONE_NUMBER ?? SIMULATOR_NUMBER);

/** CORS_ORIGINS as origins (`scheme://host[:port]`); throws on anything that is not an http(s) origin. */
export const corsOrigins = (config: Pick<Config, 'CORS_ORIGINS'>): string[] =>
  (config.CORS_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      let url: URL;
      try {
        url = new URL(s);
      } catch {
        throw new Error(`${JSON.stringify(s)} is not a URL (expected an origin such as https://admin.example.com)`);
      }
      if (!/^https?:$/.test(url.protocol) || url.origin !== s.replace(/\/$/, '')) {
        throw new Error(`${JSON.stringify(s)} is not an origin (scheme://host[:port], no path)`);
      }
      return url.origin;
    });

/** The number the simulator says it texts from when no Twilio number is configured (Twilio's test number). */
export const SIMULATOR_NUMBER = '+15005550006';

/** The tier limits from the QUOTA_* variables: the worker's rate check and the API's usage view share them. */
export const quotaPolicy = (config: Config): QuotaPolicy => ({
  free: {
    perMinute: config.QUOTA_FREE_PER_MINUTE,
    perDay: config.QUOTA_FREE_PER_DAY,
    perMonth: config.QUOTA_FREE_PER_MONTH,
  },
  premium: {
    perMinute: config.QUOTA_PREMIUM_PER_MINUTE,
    perDay: config.QUOTA_PREMIUM_PER_DAY,
    perMonth: config.QUOTA_PREMIUM_PER_MONTH,
  },
});

/** The spend caps from the SPEND_CAP_* variables: the worker's check and the API's views share them. */
export const spendPolicy = (config: Config): SpendPolicy => ({
  free: { dayUsd: config.SPEND_CAP_FREE_DAY_USD, monthUsd: config.SPEND_CAP_FREE_MONTH_USD },
  premium: { dayUsd: config.SPEND_CAP_PREMIUM_DAY_USD, monthUsd: config.SPEND_CAP_PREMIUM_MONTH_USD },
});

/** The price table: the built-in list prices, with AI_PRICES_JSON's entries over them. */
export const aiPrices = (config: Config): Readonly<Record<string, TokenPrice>> =>
  config.AI_PRICES_JSON === undefined ? PRICES : { ...PRICES, ...parsePrices(config.AI_PRICES_JSON) };

/** The fallback model for a task's model, unless it is the same call again. */
export const fallbackModelFor = (config: Config, model: string): string | undefined =>
  config.OPENAI_FALLBACK_MODEL && config.OPENAI_FALLBACK_MODEL !== model ? config.OPENAI_FALLBACK_MODEL : undefined;

function describe(key: string, raw: Record<string, string>): string {
  // Never echo secrets back.
  return /TOKEN|KEY|SECRET|PASSWORD|DATABASE_URL|EVENTSTORE_URL/.test(key) ? 'a value' : JSON.stringify(raw[key]);
}

function dedupe(problems: { variable: string; message: string }[]) {
  const seen = new Set<string>();
  return problems.filter((p) => {
    if (seen.has(p.variable)) return false;
    seen.add(p.variable);
    return true;
  });
}

export const publicUrl = (config: Config) =>
  (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
export const twilioConfigured = (config: Config) => config.TWILIO_ACCOUNT_SID !== undefined;

/** Which AI answers: OpenAI, any OpenAI-compatible server (OPENAI_BASE_URL), or the built-in demo model. */
export type AiProvider = 'openai' | 'compatible' | 'demo';

/**
 * The demo model answers only when neither variable is set, and never in production: there a
 * missing AI is a ConfigError naming both variables (start-up exits 2), not canned answers to real people.
 */
export function aiProvider(config: Config): AiProvider {
  if (config.OPENAI_BASE_URL !== undefined) return 'compatible';
  if (config.OPENAI_API_KEY !== undefined) return 'openai';
  if (config.NODE_ENV === 'production') {
    throw new ConfigError([
      {
        variable: 'OPENAI_API_KEY / OPENAI_BASE_URL',
        message:
          'one is required when NODE_ENV=production: OPENAI_API_KEY for OpenAI, OPENAI_BASE_URL for an ' +
          'OpenAI-compatible server (the built-in demo model answers only outside production)',
      },
    ]);
  }
  return 'demo';
}

/** The Temporal UI base URL the admin API links runs to. */
export const temporalUiUrl = (config: Config) => {
  const url = config.TEMPORAL_UI_URL ?? config.TEMPORAL_UI_ORIGIN ?? `http://localhost:${config.TEMPORAL_UI_PORT}`;
  return url.replace(/\/$/, '');
};
