import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** Normalises a phone number to E.164, or returns undefined when it is not a valid number. */
export function toE164(input: string, defaultCountry: 'US' = 'US'): string | undefined {
  const parsed = parsePhoneNumberFromString(input.trim(), defaultCountry);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** +14155550123 -> +1415***0123: enough to tell numbers apart in logs, not enough to dial. */
export function maskPhone(phone: string): string {
  if (phone.length <= 8) return phone.replace(/\d(?=\d{2})/g, '*');
  return `${phone.slice(0, 5)}***${phone.slice(-4)}`;
}

const E164_ANYWHERE = /\+[1-9]\d{7,14}\b/g;

/** Masks every E.164-looking number inside free text (log messages, error strings). */
export function maskPhonesIn(text: string): string {
  return text.replace(E164_ANYWHERE, maskPhone);
}
