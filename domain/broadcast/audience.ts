import { possibleE164 } from '../sms/sender.js';
import { AUDIENCE_CHUNK } from './events.js';

export interface ParsedPhones {
  /** E.164, first occurrence kept, in the order given. */
  phones: string[];
  /** The entries that are not a possible phone number, as sent. */
  invalid: string[];
}

/** Normalises an admin's list of numbers the way senders are (domain/sms/sender.ts), dropping repeats. */
export function parsePhoneList(raw: readonly string[]): ParsedPhones {
  const seen = new Set<string>();
  const phones: string[] = [];
  const invalid: string[] = [];
  for (const entry of raw) {
    const phone = possibleE164(entry);
    if (!phone) invalid.push(entry);
    else if (!seen.has(phone)) {
      seen.add(phone);
      phones.push(phone);
    }
  }
  return { phones, invalid };
}

/** The ordered list cut into audience events: `from` is the seq of each chunk's first number. */
export function audienceChunks(phones: readonly string[]): { from: number; phones: string[] }[] {
  const chunks: { from: number; phones: string[] }[] = [];
  for (let from = 0; from < phones.length; from += AUDIENCE_CHUNK) {
    chunks.push({ from, phones: phones.slice(from, from + AUDIENCE_CHUNK) });
  }
  return chunks;
}

/** Recipient `seq` from the audience events (any order), or undefined past the end. */
export function phoneAt(chunks: readonly { from: number; phones: readonly string[] }[], seq: number) {
  for (const chunk of chunks) {
    if (seq >= chunk.from && seq < chunk.from + chunk.phones.length) return chunk.phones[seq - chunk.from];
  }
  return undefined;
}
