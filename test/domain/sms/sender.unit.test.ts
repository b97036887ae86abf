import { describe, expect, it } from 'vitest';
import {
  destinationsOf,
  normalizeSender,
  parseReplyDestinations,
  replyBlockedReason,
} from '../../../domain/sms/sender.js';

describe('normalizeSender: every sender Twilio signs is kept', () => {
  it.each([
    ['+14155550123', { address: '+14155550123', kind: 'phone' }],
    ['(415) 555-0123', { address: '+14155550123', kind: 'phone' }],
    // libphonenumber does not know +1 555-234 as a valid range, but the number has a possible length
    ['+15552345678', { address: '+15552345678', kind: 'phone' }],
    ['+447700900123', { address: '+447700900123', kind: 'phone' }],
    ['12345', { address: '12345', kind: 'short_code' }],
    ['898211', { address: '898211', kind: 'short_code' }],
    ['ACME Bank', { address: 'ACME Bank', kind: 'alphanumeric' }],
    ['VERIFY', { address: 'VERIFY', kind: 'alphanumeric' }],
    ['whatsapp:+14155550123', { address: 'whatsapp:+14155550123', kind: 'other' }],
    ['+1', { address: '+1', kind: 'other' }],
  ])('given From=%j, then %j', (raw, expected) => {
    expect(normalizeSender(raw)).toEqual(expected);
  });
});

describe('replyBlockedReason: replies go to phones in allowed destinations only', () => {
  const us = destinationsOf('+15005550006');

  it('given our US number and no list, then +1 numbers get replies, others are held back as toll-fraud risk', () => {
    expect(replyBlockedReason(normalizeSender('+14155550123'), us)).toBeUndefined();
    expect(replyBlockedReason(normalizeSender('+15552345678'), us)).toBeUndefined();
    expect(replyBlockedReason(normalizeSender('+447700900123'), us)).toBe('country_not_allowed');
    expect(replyBlockedReason(normalizeSender('+882345678901'), us)).toBe('country_not_allowed');
  });

  it('given short codes, alphanumeric ids and other senders, then no reply, with the reason', () => {
    expect(replyBlockedReason(normalizeSender('12345'), us)).toBe('short_code');
    expect(replyBlockedReason(normalizeSender('ACME'), us)).toBe('alphanumeric_sender');
    expect(replyBlockedReason(normalizeSender('whatsapp:+1415'), us)).toBe('unrecognized_sender');
  });

  it('given SMS_ALLOWED_COUNTRIES with calling codes and regions, then both are honoured', () => {
    const allowed = parseReplyDestinations('44, US');
    expect(replyBlockedReason(normalizeSender('+447700900123'), allowed)).toBeUndefined();
    expect(replyBlockedReason(normalizeSender('+14155550123'), allowed)).toBeUndefined();
    // +1 876 is Jamaica: same calling code as the US, another region
    expect(replyBlockedReason(normalizeSender('+18765550123'), allowed)).toBe('country_not_allowed');
    expect(() => parseReplyDestinations('1, Narnia')).toThrow(/Narnia/);
    expect(() => parseReplyDestinations(' , ')).toThrow(/no calling code/);
  });

  it('given the simulator, then any phone may be answered (it texts nobody), but still no short code', () => {
    const us = parseReplyDestinations('1');
    expect(replyBlockedReason(normalizeSender('+447700900123'), us, 'simulator')).toBeUndefined();
    expect(replyBlockedReason(normalizeSender('12345'), us, 'simulator')).toBe('short_code');
  });
});
