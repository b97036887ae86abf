import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AiCallError } from '../../activities/ai-client.js';
import { aiRejected } from '../../activities/errors.js';
import { createTwilioClient } from '../../activities/twilio-client.js';
import { maskPhone } from '../../domain/phone.js';
import { briefError, createLogger, logFormat } from '../../infra/logger.js';
import { isExpectedFailure, temporalLogFields } from '../../infra/temporal-runtime.js';
import { startFakeTwilio } from '../fakes/twilio.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('masks phone numbers in fields and in messages', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', destination: stream });
    logger.info({ from: '+14155550123', nested: { to: '+442071838750' } }, 'reply to +14155550123 sent');
    const out = lines.join('');
    expect(out).not.toContain('+14155550123');
    expect(out).not.toContain('+442071838750');
    expect(out).toContain(maskPhone('+14155550123'));
  });

  it('masks phone numbers in the message and the stack of an error', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', destination: stream });
    logger.error({ err: new Error('Twilio refused +14155550123') }, 'reply failed');
    const entry = JSON.parse(lines.join(''));
    expect(entry.err.message).toBe(`Twilio refused ${maskPhone('+14155550123')}`);
    expect(entry.err.stack).toContain(`Error: Twilio refused ${maskPhone('+14155550123')}`);
    expect(lines.join('')).not.toContain('4155550123');
  });

  it('masks numbers written with spaces or a channel prefix', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', destination: stream });
    logger.info({ to: 'whatsapp:14155550123' }, 'call +1 415-555-0124 back');
    const out = lines.join('');
    expect(out).not.toMatch(/4155550123|415-555-0124/);
    expect(out).toContain('whatsapp:+1*******23');
    expect(out).toContain('call +1*******24 back');
  });

  it('redacts secrets', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', destination: stream });
    logger.info({
      config: { TWILIO_AUTH_TOKEN: 'tok-secret-123', OPENAI_API_KEY: 'sk-abc' },
      client: { apiKey: 'sk-def' },
    });
    const out = lines.join('');
    expect(out).not.toMatch(/tok-secret-123|sk-abc|sk-def/);
    expect(out).toContain('[redacted]');
  });

  it('is a pino logger', () => {
    expect(typeof createLogger({ level: 'silent' }).child).toBe('function');
    expect(pino.levels.values.info).toBe(30);
  });
});

/** An activity failure as the worker logs it: attemptCounting wraps every error in an ApplicationFailure. */
function asActivityFailure(error: Error): ApplicationFailure {
  const failure = ApplicationFailure.create({
    message: error.message,
    type: error instanceof ApplicationFailure ? (error.type ?? undefined) : error.name,
    cause: error.cause as Error | undefined,
  });
  failure.stack = error.stack;
  return failure;
}

/** What the real Twilio SDK throws when Twilio answers 503 (its fake answering). */
async function twilio503(): Promise<Error> {
  const accountSid = `AC${'0'.repeat(31)}1`;
  const authToken = 'test-auth-token-0123456789';
  const fake = await startFakeTwilio({ accountSid, authToken });
  try {
    fake.knobs.failNext(1, 503);
    const client = createTwilioClient({ accountSid, authToken, apiBaseUrl: fake.baseUrl, timeoutMs: 5_000 });
    return await client.messages.create({ to: '+14155550123', from: '+15005550006', body: 'x' }).then(
      () => new Error('expected a 503'),
      (error: Error) => error,
    );
  } finally {
    await fake.close();
  }
}

describe('log format', () => {
  it('is pretty on a terminal, JSON anywhere else, and LOG_FORMAT forces either', () => {
    expect(logFormat({}, { isTTY: true })).toBe('pretty');
    expect(logFormat({}, { isTTY: false })).toBe('json');
    expect(logFormat({}, {})).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'json' }, { isTTY: true })).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'pretty' }, { isTTY: false })).toBe('pretty');
  });

  it('pretty: one coloured line per event, with its role, secrets redacted and phone numbers masked', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', destination: stream, format: 'pretty', colorize: true });
    logger.child({ role: 'worker' }).info({ to: '+14155550123', config: { OPENAI_API_KEY: 'sk-abc' } }, 'reply sent');
    const out = lines.join('');
    expect(out.trimEnd().split('\n')).toHaveLength(1);
    expect(out).toContain('\u001b['); // ANSI colours
    expect(out).toContain('worker: reply sent');
    expect(out).toContain(maskPhone('+14155550123'));
    expect(out).not.toMatch(/4155550123|sk-abc/);
    expect(out).toContain('[redacted]');
    expect(out).not.toMatch(/"pid"|"hostname"/);
  });

  it('pretty: an expected failure is one line with its reason; an unexpected one shows its stack below', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', destination: stream, format: 'pretty' });
    const down = new AiCallError('transient', 'AI request to gpt-4o failed: Connection error.');
    logger.warn({ err: briefError(down) }, 'Activity failed');
    expect(lines.join('').trimEnd().split('\n')).toHaveLength(1);
    expect(lines.join('')).toContain('Activity failed: AiCallError: AI request to gpt-4o failed: Connection error.');

    lines.length = 0;
    logger.error({ err: new TypeError("Cannot read properties of undefined (reading 'x')") }, 'bug');
    const out = lines.join('');
    expect(out.split('\n').length).toBeGreaterThan(3);
    expect(out).toMatch(/TypeError: Cannot read properties.*\n\s+at /);
  });

  it('JSON: errors keep their type (an ApplicationFailure its own), brief ones have no stack', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', destination: stream });
    logger.error({ err: new TypeError('boom') }, 'unexpected');
    logger.warn({ err: briefError(asActivityFailure(new AiCallError('transient', 'down'))) }, 'expected');
    const [unexpected, expected] = lines.map((l) => JSON.parse(l));
    expect(unexpected.err).toMatchObject({ type: 'TypeError', message: 'boom', stack: expect.stringContaining('at ') });
    expect(expected.err).toEqual({ type: 'AiCallError', message: 'down' });
  });
});

describe('activity failures in the worker log', () => {
  it.each([
    ['the AI endpoint unreachable', new AiCallError('transient', 'AI request to gpt-4o failed: Connection error.')],
    ['an AI 429 (retried after Retry-After)', ApplicationFailure.create({ type: 'AiRateLimited', message: '429' })],
    ['a bad AI key', aiRejected('AI request to gpt-4o failed (401): invalid key')],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    [
      'a fetch that failed for a network reason',
      new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }) }),
    ],
  ])('%s: expected, logged as {type, message} without a stack', (_name, error) => {
    const failure = asActivityFailure(error);
    expect(isExpectedFailure(failure)).toBe(true);
    const { fields, expected } = temporalLogFields({ error: failure, activityType: 'generateAnswer', attempt: 2 });
    expect(expected).toBe(true);
    expect(fields.err).toEqual({ type: expect.any(String), message: error.message });
    expect(fields.temporal).toEqual({ activityType: 'generateAnswer', attempt: 2 });

    const { lines, stream } = capture();
    createLogger({ level: 'info', destination: stream }).warn(fields, 'Activity failed');
    expect(lines.join('')).not.toContain('"stack"');
  });

  it('a Twilio 5xx (what the real SDK throws) is expected', async () => {
    const error = await twilio503();
    expect((error as { status?: number }).status).toBe(503);
    const { fields, expected } = temporalLogFields({ error: asActivityFailure(error) });
    expect(expected).toBe(true);
    expect(fields.err).toEqual({ type: 'Error', message: error.message });
  });

  it('a bug (TypeError, a plain Error) is unexpected and keeps its stack', () => {
    for (const error of [new TypeError("Cannot read properties of undefined (reading 'x')"), new Error('invariant')]) {
      const failure = asActivityFailure(error);
      expect(isExpectedFailure(failure)).toBe(false);
      const { fields, expected } = temporalLogFields({ error: failure, activityType: 'sendReply' });
      expect(expected).toBe(false);
      const { lines, stream } = capture();
      createLogger({ level: 'info', destination: stream }).warn(fields, 'Activity failed');
      expect(JSON.parse(lines.join('')).err.stack).toContain(error.message);
    }
  });

  it('an SDK line without an error keeps its fields under temporal', () => {
    expect(temporalLogFields({ taskQueue: 'q' })).toEqual({
      fields: { temporal: { taskQueue: 'q' } },
      expected: false,
    });
    expect(temporalLogFields(undefined)).toEqual({ fields: {}, expected: false });
  });
});
