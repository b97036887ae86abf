import { describe, expect, it } from 'vitest';
import { maskPhone, maskPhonesIn } from '../../domain/phone.js';

describe('maskPhone', () => {
  it.each([
    ['+14155550123', '+1*******23'],
    ['+442071838750', '+4*******50'],
    ['+8613800138000', '+8*******00'],
    // The mask has one width, so it does not tell a long number from a short one either.
    ['+12025550199', '+1*******99'],
  ])('given %s, then it shows the first digit and the last two only: %s', (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked);
  });

  it('given a short code, then only its last two digits show', () => {
    expect(maskPhone('12345')).toBe('***45');
  });

  it('given two numbers that differ in their hidden digits, then their masks are the same', () => {
    expect(maskPhone('+14155550123')).toBe(maskPhone('+19998887723'));
  });
});

describe('maskPhonesIn', () => {
  it.each([
    ['To +14155550123 failed', 'To +1*******23 failed'],
    ['The number whatsapp:+14155550123 is not reachable', 'The number whatsapp:+1*******23 is not reachable'],
    ['The number whatsapp:14155550123 is not reachable', 'The number whatsapp:+1*******23 is not reachable'],
    ['dial tel:14155550123', 'dial tel:+1*******23'],
    ['WhatsApp:442071838750 blocked', 'WhatsApp:+4*******50 blocked'],
    ['sms:+14155550123?body=hi', 'sms:+1*******23?body=hi'],
    ['call +1 415-555-0123 now', 'call +1*******23 now'],
    ['call +1 (415) 555-0123 now', 'call +1*******23 now'],
    ['call +1.415.555.0123 now', 'call +1*******23 now'],
    ['call +44 20 7183 8750 now', 'call +4*******50 now'],
    ['POST /Messages To=%2B14155550123&From=%2b14155550124', 'POST /Messages To=+1*******23&From=+1*******24'],
    ['+14155550123,+442071838750', '+1*******23,+4*******50'],
    ['{"to":"+14155550123"}', '{"to":"+1*******23"}'],
  ])('given %j, then %j', (text, masked) => {
    expect(maskPhonesIn(text)).toBe(masked);
  });

  it.each([
    ['checkpoint 000000001234 at 1767225600000'],
    ['retry 3 of +5'],
    ['order 14155550123 shipped'],
    ['+1234567890123456 is too long for a phone number'],
    ['message SM0123456789abcdef0123456789abcdef'],
  ])('given %j (no phone number), then the text is unchanged', (text) => {
    expect(maskPhonesIn(text)).toBe(text);
  });

  it('given a number it masks, then no run of more than two of its digits is left', () => {
    const masked = maskPhonesIn('error for +1 415-555-0123: unreachable');
    expect(masked.replace(/\D/g, '')).toBe('123');
  });
});
