import { SegmentedMessage } from 'sms-segments-calculator';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface Composition {
  encoding: SmsEncoding;
  /** GSM-7 septets (€ and other extension characters count 2) or UCS-2 code units, as the server counts. */
  characters: number;
  /** Empty text still costs one segment, as on the server. */
  segments: number;
  /** Room per segment at this length: 160/70 for one, 153/67 per part once split. */
  perSegment: number;
  /** Units left before one more segment is needed. */
  leftInSegment: number;
  /** The characters that force UCS-2 (each once, in order), so the writer can replace them. */
  nonGsm: string[];
}

const LIMITS = { 'GSM-7': { single: 160, part: 153 }, 'UCS-2': { single: 70, part: 67 } } as const;

/**
 * How `text` will travel as SMS: the same rules and library (sms-segments-calculator) as the
 * server's domain/sms/segments.ts, which the broadcast dry run uses, so the live counter and the
 * dry run's figures agree.
 */
export function composeSms(text: string): Composition {
  const message = new SegmentedMessage(text);
  const encoding = message.encodingName;
  const characters = encoding === 'GSM-7' ? message.numberOfCharacters : text.length;
  const segments = Math.max(1, message.segmentsCount);
  const limit = LIMITS[encoding];
  const perSegment = segments === 1 ? limit.single : limit.part;
  return {
    encoding,
    characters,
    segments,
    perSegment,
    leftInSegment: Math.max(0, segments * perSegment - characters),
    nonGsm: encoding === 'UCS-2' ? [...new Set(message.getNonGsmCharacters())] : [],
  };
}

/** A pasted list of numbers: split on new lines, commas, semicolons; blanks dropped, duplicates once. */
export function splitPhoneList(pasted: string): string[] {
  const seen = new Set<string>();
  for (const entry of pasted.split(/[\n,;]+/)) {
    const phone = entry.trim();
    if (phone) seen.add(phone);
  }
  return [...seen];
}
