import { SegmentedMessage } from 'sms-segments-calculator';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface Measurement {
  encoding: SmsEncoding;
  /** Segments the carrier bills: GSM-7 160 (153 per part when split), UCS-2 70 (67). */
  segments: number;
  /** Units counted toward those limits: GSM-7 septets (extended chars such as € count 2), UCS-2 code units. */
  characters: number;
}

/** GSM-7 basic-table characters (one septet each) by UTF-16 code unit, learnt from the library. */
const basicGsm = new Map<number, boolean>();

function isBasicGsm(code: number): boolean {
  let basic = basicGsm.get(code);
  if (basic === undefined) {
    // Surrogate halves are never GSM-7; anything else the library measures once, alone.
    const alone = code >= 0xd800 && code <= 0xdfff ? undefined : new SegmentedMessage(String.fromCharCode(code));
    basic = alone !== undefined && alone.encodingName === 'GSM-7' && alone.numberOfCharacters === 1;
    basicGsm.set(code, basic);
  }
  return basic;
}

/**
 * A text of basic GSM-7 characters only (most replies) needs no more than its length: one septet
 * per character, 160 in one segment, else 153 per segment. sms-segments-calculator splits the
 * text into graphemes and encodes every character first, about 3 ms for a short reply, which the
 * worker paid several times per SMS. Anything else (the extension table, UCS-2) goes to the library.
 */
function measurePlainGsm(text: string): Measurement | undefined {
  if (text.length === 0) return undefined;
  for (let i = 0; i < text.length; i++) if (!isBasicGsm(text.charCodeAt(i))) return undefined;
  const segments = text.length <= 160 ? 1 : Math.ceil(text.length / 153);
  return { encoding: 'GSM-7', segments, characters: text.length };
}

/** How a text will travel as SMS. Empty text still costs one segment. */
export function measure(text: string): Measurement {
  const plain = measurePlainGsm(text);
  if (plain) return plain;
  const message = new SegmentedMessage(text);
  const encoding = message.encodingName;
  return {
    encoding,
    segments: message.segmentsCount,
    characters: encoding === 'GSM-7' ? message.numberOfCharacters : text.length,
  };
}

/** Plain GSM-7 (no "…", which would force UCS-2 and halve the room), on its own line. */
export const DEFAULT_MORE_HINT = '\n(Text MORE for the rest)';
/** Appended to a part cut inside a sentence, before the hint. */
const ELLIPSIS = '...';

export interface FitOptions {
  /** Where in fullText this part starts (a JS string index, as returned in nextOffset). */
  fromOffset?: number;
  maxSegments: number;
  moreHint?: string;
}

export interface FittedPart {
  /** The text to send: the slice, plus the hint when something is left. */
  part: string;
  /** Where the next part starts (whitespace after the cut skipped); fullText.length when done. */
  nextOffset: number;
  hasMore: boolean;
}

/** A cut at a sentence or word boundary must keep at least this share of what would fit. */
const MIN_SHARE = 0.5;
/** No GSM or UCS-2 segment holds more than 160 UTF-16 code units, which bounds the search. */
const MAX_UNITS_PER_SEGMENT = 160;

/**
 * Cuts fullText from fromOffset so that the part (with the hint, whose own encoding counts: one
 * UCS-2 character in it turns the whole SMS into UCS-2) fits maxSegments. Cuts at the last
 * sentence end when that keeps at least half of what fits, else at a word boundary, else hard;
 * never inside a grapheme, so surrogate pairs and emoji sequences stay whole.
 */
export function fitToBudget(fullText: string, options: FitOptions): FittedPart {
  const { maxSegments, moreHint = DEFAULT_MORE_HINT } = options;
  if (!Number.isInteger(maxSegments) || maxSegments < 1) throw new RangeError('maxSegments must be an integer >= 1');
  const start = skipWhitespace(fullText, Math.max(0, options.fromOffset ?? 0));
  const rest = fullText.slice(start);
  const couldFitWhole = rest.length <= maxSegments * MAX_UNITS_PER_SEGMENT; // measuring is not free (~3 ms per 500 chars)
  if (couldFitWhole && measure(rest).segments <= maxSegments) {
    return { part: rest, nextOffset: fullText.length, hasMore: false };
  }

  const fits = (slice: string, ellipsis: boolean) =>
    measure(slice.trimEnd() + (ellipsis ? ELLIPSIS : '') + moreHint).segments <= maxSegments;
  // Candidate cut points are grapheme boundaries; segment counts grow with the prefix, so binary search.
  let bounds = graphemeBoundaries(rest, maxSegments * MAX_UNITS_PER_SEGMENT);
  // One grapheme can outgrow a whole SMS (a letter under hundreds of combining marks): model output
  // must never fail the task, so cut inside it, between code points, rather than not at all.
  if (bounds.length === 1) bounds = codePointBoundaries(rest, maxSegments * MAX_UNITS_PER_SEGMENT);
  let lo = 0;
  let hi = bounds.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(rest.slice(0, bounds[mid]), true)) lo = mid;
    else hi = mid - 1;
  }
  const hardCut = bounds[lo] ?? 0;
  if (hardCut === 0) throw new RangeError(`the hint alone does not fit in ${maxSegments} segment(s)`);

  const sentenceCut = lastSentenceEnd(rest, hardCut);
  const wordCut = lastWordEnd(rest, hardCut);
  let cut = hardCut;
  let ellipsis = true;
  if (sentenceCut >= hardCut * MIN_SHARE && fits(rest.slice(0, sentenceCut), false)) {
    cut = sentenceCut;
    ellipsis = false;
  } else if (wordCut >= hardCut * MIN_SHARE) {
    cut = wordCut;
  }
  const part = rest.slice(0, cut).trimEnd() + (ellipsis ? ELLIPSIS : '') + moreHint;
  const nextOffset = skipWhitespace(fullText, start + cut);
  return { part, nextOffset, hasMore: nextOffset < fullText.length };
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/u.test(text[i]!)) i++;
  return i;
}

/** String indices where a grapheme starts (plus the end), up to maxIndex. */
function graphemeBoundaries(text: string, maxIndex: number): number[] {
  const bounds = [0];
  for (const { index, segment } of new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text)) {
    const end = index + segment.length;
    if (end > maxIndex) break;
    bounds.push(end);
  }
  return bounds;
}

/** String indices between code points (never inside a surrogate pair), up to maxIndex. */
function codePointBoundaries(text: string, maxIndex: number): number[] {
  const bounds = [0];
  let index = 0;
  for (const char of text) {
    index += char.length;
    if (index > maxIndex) break;
    bounds.push(index);
  }
  return bounds;
}

/** End of the last sentence (after ". ", "! ", "? ", closing quotes/brackets, or a line break) before limit. */
function lastSentenceEnd(text: string, limit: number): number {
  let best = 0;
  for (const match of text.slice(0, limit + 1).matchAll(/[.!?]["')\]]*(?=\s)|\n/gu)) {
    const end = match.index + match[0].length;
    if (end <= limit) best = end;
  }
  return best;
}

/** End of the last whole word before limit (the index of the whitespace after it). */
function lastWordEnd(text: string, limit: number): number {
  for (let i = limit; i > 0; i--) {
    if (/\s/u.test(text[i] ?? ' ') && !/\s/u.test(text[i - 1]!)) return i;
  }
  return 0;
}

/** Typographic characters a model likes that are not GSM-7; one of them would double the SMS cost. */
const GSM_FRIENDLY: [RegExp, string][] = [
  [/[\u2018\u2019\u201A\u2032]/gu, "'"],
  [/[\u201C\u201D\u201E\u2033]/gu, '"'],
  [/[\u2013\u2014\u2212]/gu, '-'],
  [/\u2026/gu, '...'],
  [/[\u00A0\u2009\u202F]/gu, ' '],
  [/\u2022/gu, '-'],
];

/**
 * Makes a model's markdown read well as SMS: code fences and headings marks dropped, bold and
 * inline code unwrapped, links as "text (url)", bullets as "- ", typographic punctuation made
 * GSM-7, at most one blank line in a row.
 */
export function normalizeReply(text: string): string {
  let out = text.replace(/\r\n?/gu, '\n');
  out = out.replace(/^[ \t]*```[^\n]*$/gmu, '');
  out = out.replace(/^#{1,6}[ \t]+/gmu, '');
  out = out.replace(/\*\*(.+?)\*\*|__(.+?)__/gu, (_m, a: string | undefined, b: string | undefined) => a ?? b ?? '');
  out = out.replace(/`([^`\n]+)`/gu, '$1');
  out = out.replace(/\[([^\]\n]+)\]\((\S+?)\)/gu, '$1 ($2)');
  out = out.replace(/^([ \t]*)[*+\u2022][ \t]+/gmu, '$1- ');
  for (const [pattern, replacement] of GSM_FRIENDLY) out = out.replace(pattern, replacement);
  out = out.replace(/[ \t]+$/gmu, '');
  out = out.replace(/\n{3,}/gu, '\n\n');
  return out.trim();
}
