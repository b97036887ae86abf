import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { maskPhone } from '../../domain/phone.js';
import { createLogger } from '../../infra/logger.js';

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
