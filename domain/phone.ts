import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** Normalises a phone number to E.164, or returns undefined when it is not a valid number. */
export function toE164(input: string, defaultCountry: 'US' = 'US'): string | undefined {
  const parsed = parsePhoneNumberFromString(input.trim(), defaultCountry);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** What a masked number shows between its first digit and its last two: a fixed width, so the mask hides the length too. */
const HIDDEN = '*******';

/**
 * +14155550123 -> +1*******23: the first digit of the country code and the last two digits,
 * enough to tell numbers apart in logs and analyst views, not enough to dial or guess. Values
 * with fewer than 8 digits (short codes) keep only their last two digits. The analyst views'
 * SQL `mask_phone` follows the same rule (projections/migrations/1767225600002_analyst-privacy.sql).
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 8) return phone.replace(/\d(?=\d{2})/g, '*');
  return `+${digits.slice(0, 1)}${HIDDEN}${digits.slice(-2)}`;
}

/**
 * A phone number inside free text: `+` (or `%2B`, URL-encoded) or a `whatsapp:`, `tel:`, `sms:`
 * or `rcs:` prefix, then 8 to 15 digits that single spaces, dots, dashes or parentheses may
 * separate (`+1 (415) 555-0123`). Captures the first digit and the last two. Bare digit runs
 * are left alone: ids, positions and timestamps look the same. The SQL `mask_phones_in` of the
 * analyst views uses this very pattern, so logs, tables and views agree.
 */
export const PHONE_IN_TEXT_PATTERN = String.raw`(?:\+|%2B|(?<=(?:whatsapp|tel|sms|rcs):))([1-9])(?:[ .()-]{0,2}\d){5,12}[ .()-]{0,2}(\d)[ .()-]{0,2}(\d)(?!\d)`;
const PHONE_IN_TEXT = new RegExp(PHONE_IN_TEXT_PATTERN, 'gi');

/** Masks every phone number inside free text (log messages, error strings) the way maskPhone does. */
export function maskPhonesIn(text: string): string {
  return text.replace(PHONE_IN_TEXT, `+$1${HIDDEN}$2$3`);
}
