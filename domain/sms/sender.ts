import { type CountryCode, getCountries, parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Who sent an SMS, as Twilio's signed webhook says. Twilio's signature proves the SMS arrived, so
 * no sender is refused: numbers libphonenumber knows are kept as E.164, numbers of a possible
 * length in ranges it does not know yet (new or test ranges such as +1 555) too; short codes and
 * alphanumeric sender ids are kept as Twilio sent them. Only phone numbers can get a reply.
 */
export type SenderKind = 'phone' | 'short_code' | 'alphanumeric' | 'other';

export interface Sender {
  /** E.164 for phones, else the sender as Twilio sent it (trimmed). Names the `user-<address>` stream. */
  address: string;
  kind: SenderKind;
}

const SHORT_CODE = /^\d{3,8}$/;
const PHONE_CHARS = /^\+?[\d\s().-]+$/;
/** Alphanumeric sender ids: up to 11 letters, digits and spaces, at least one letter. */
const ALPHANUMERIC = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

export function normalizeSender(raw: string): Sender {
  const trimmed = raw.trim();
  // A plain run of 3-8 digits is a short code, never a national number to guess a country for.
  if (SHORT_CODE.test(trimmed)) return { address: trimmed, kind: 'short_code' };
  // Only digits and dialling punctuation: libphonenumber would also pull a number out of
  // "whatsapp:+1415...", a channel an SMS reply cannot answer.
  const parsed = PHONE_CHARS.test(trimmed) ? parsePhoneNumberFromString(trimmed, 'US') : undefined;
  if (parsed && (parsed.isValid() || parsed.isPossible())) return { address: parsed.number, kind: 'phone' };
  if (ALPHANUMERIC.test(trimmed)) return { address: trimmed, kind: 'alphanumeric' };
  return { address: trimmed, kind: 'other' };
}

/** Normalises a phone number to E.164 when it is a possible one (known range or not), else undefined. */
export function possibleE164(raw: string): string | undefined {
  const sender = normalizeSender(raw);
  return sender.kind === 'phone' ? sender.address : undefined;
}

/** Why no reply can go to a sender; absent when one can. */
export type UnreplyableReason = 'short_code' | 'alphanumeric_sender' | 'unrecognized_sender' | 'country_not_allowed';

/**
 * Where replies may go, against toll fraud (texts that make us pay to answer premium-rate
 * destinations): calling codes ("1", "44") and/or ISO regions ("GB"). Note +1 covers every NANP
 * country, the Caribbean ones included; list regions ("US,CA") to be stricter.
 */
export interface ReplyDestinations {
  callingCodes: ReadonlySet<string>;
  regions: ReadonlySet<string>;
}

const REGIONS = new Set<string>(getCountries());

/** Parses `SMS_ALLOWED_COUNTRIES` ("1,44" or "US,+44"); throws naming the bad entry. */
export function parseReplyDestinations(list: string): ReplyDestinations {
  const callingCodes = new Set<string>();
  const regions = new Set<string>();
  for (const entry of list
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    if (/^\+?[1-9]\d{0,2}$/.test(entry)) callingCodes.add(entry.replace('+', ''));
    else if (REGIONS.has(entry.toUpperCase())) regions.add(entry.toUpperCase());
    else throw new RangeError(`"${entry}" is neither a calling code (e.g. 1, +44) nor an ISO region (e.g. US)`);
  }
  if (callingCodes.size === 0 && regions.size === 0) throw new RangeError('no calling code or region given');
  return { callingCodes, regions };
}

/** The default: the calling code of our own number. */
export function destinationsOf(ourNumber: string): ReplyDestinations {
  const parsed = parsePhoneNumberFromString(ourNumber);
  return { callingCodes: new Set(parsed ? [parsed.countryCallingCode] : ['1']), regions: new Set() };
}

/**
 * Whether a reply may go to this sender, and if not, why. The simulator texts nobody, so the
 * destination rule (against toll fraud) does not hold there: only what no reply can reach does.
 */
export function replyBlockedReason(
  sender: Sender,
  allowed: ReplyDestinations,
  provider: 'twilio' | 'simulator' = 'twilio',
): UnreplyableReason | undefined {
  if (sender.kind === 'short_code') return 'short_code';
  if (sender.kind === 'alphanumeric') return 'alphanumeric_sender';
  if (sender.kind !== 'phone') return 'unrecognized_sender';
  const parsed = parsePhoneNumberFromString(sender.address);
  if (!parsed) return 'unrecognized_sender';
  if (provider === 'simulator') return undefined;
  if (allowed.callingCodes.has(parsed.countryCallingCode)) return undefined;
  const region = parsed.country as CountryCode | undefined;
  if (region && allowed.regions.has(region)) return undefined;
  return 'country_not_allowed';
}
