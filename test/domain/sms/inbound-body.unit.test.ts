import { describe, expect, it } from 'vitest';
import { assertValidEvent } from '../../../domain/events/catalogue.js';
import { inboundBody, MAX_BODY_CODE_POINTS } from '../../../domain/sms/inbound-body.js';

const received = (body: string) => ({
  messageSid: 'SM0123456789abcdef',
  from: '+14155550123',
  to: '+15005550006',
  body,
  numMedia: 0,
  provider: 'twilio',
  receivedAt: '2026-11-30T10:00:00.000Z',
});

describe('inboundBody: one measure (code points) for the webhook and the event', () => {
  it('given 1,000 emoji (2,000 UTF-16 units), then the body is kept whole and SmsReceived accepts it', () => {
    const body = '😀'.repeat(1000);
    expect(inboundBody(body)).toEqual({ body });
    expect(() => assertValidEvent('SmsReceived', received(inboundBody(body).body))).not.toThrow();
  });

  it('given 1,600 emoji, the cap exactly, then kept whole; 1,601 is cut to 1,600 code points and says so', () => {
    expect(inboundBody('😀'.repeat(MAX_BODY_CODE_POINTS)).truncatedFrom).toBeUndefined();
    const cut = inboundBody('😀'.repeat(MAX_BODY_CODE_POINTS + 1));
    expect(Array.from(cut.body)).toHaveLength(MAX_BODY_CODE_POINTS);
    expect(cut.truncatedFrom).toBe(MAX_BODY_CODE_POINTS + 1);
    expect(() => assertValidEvent('SmsReceived', received(cut.body))).not.toThrow();
  });

  it('given NUL characters and lone surrogates, then NUL is stripped and lone halves become U+FFFD', () => {
    expect(inboundBody('a\u0000b\u0000').body).toBe('ab');
    expect(inboundBody('x\uD800y\uDC00z😀').body).toBe('x\uFFFDy\uFFFDz😀');
  });

  it('given a body the rule did not pass through, then the event schema refuses it by the same measure', () => {
    expect(() => assertValidEvent('SmsReceived', received('😀'.repeat(MAX_BODY_CODE_POINTS + 1)))).toThrow(/body/);
    expect(() => assertValidEvent('SmsReceived', received('a\u0000'))).toThrow(/body/);
  });
});
