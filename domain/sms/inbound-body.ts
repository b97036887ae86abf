/**
 * The one measure of an SMS body, used by the webhooks and the event schema alike: Unicode code
 * points. Twilio caps an inbound body at 1,600 characters; a signed delivery is never refused for
 * its content, so a longer one (only a non-Twilio sender could make it) is kept cut at the cap.
 */
export const MAX_BODY_CODE_POINTS = 1600;
/** The event schema's bound in UTF-16 units: every code point takes at most two. */
export const MAX_BODY_UTF16_UNITS = MAX_BODY_CODE_POINTS * 2;

export interface InboundBody {
  body: string;
  /** Code points Twilio sent, when more than the cap were cut off. */
  truncatedFrom?: number;
}

// String.prototype.toWellFormed does this, but is ES2024 (Node 20 has it, our TypeScript lib does not).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Makes a body safe to store: NUL removed (PostgreSQL's jsonb and text refuse it), lone UTF-16
 * surrogates replaced by U+FFFD (jsonb refuses them too), cut at the cap on a code point boundary.
 */
export function inboundBody(raw: string): InboundBody {
  const clean = raw.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
  const codePoints = Array.from(clean);
  if (codePoints.length <= MAX_BODY_CODE_POINTS) return { body: clean };
  return { body: codePoints.slice(0, MAX_BODY_CODE_POINTS).join(''), truncatedFrom: codePoints.length };
}

/** Whether a text has at most `max` code points, without building an array for short texts. */
export function codePointsAtMost(text: string, max: number): boolean {
  if (text.length <= max) return true;
  let count = 0;
  for (const _ of text) if (++count > max) return false;
  return true;
}
