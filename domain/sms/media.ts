/**
 * Pictures in (MMS): what Twilio's webhook says about an SMS's media, which media the AI can see,
 * and what the texter is told when it cannot. Pure: the webhook and the activities share it.
 */

/** Twilio sends at most 10 media per MMS; anything past that is not looked at. */
export const MAX_MEDIA = 10;
/** The image types a vision model takes (OpenAI's list). */
export const SUPPORTED_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;
export type SupportedImageType = (typeof SUPPORTED_IMAGE_TYPES)[number];
/** What an odd or missing content type is recorded as (RFC 2046: "unknown binary data"). */
export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

/** One media item as the webhook recorded it. */
export interface InboundMedia {
  /** Where Twilio keeps it; absent when the webhook had none, or one we will not fetch (not https). */
  url?: string;
  /** Lower case `type/subtype`, without parameters. */
  contentType: string;
}

export interface InboundMediaList {
  /** NumMedia as Twilio sent it (0 when absent or not a number). */
  numMedia: number;
  /** One entry per index below NumMedia, at most MAX_MEDIA. */
  media: InboundMedia[];
}

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;

/** `Image/JPEG; charset=x` -> `image/jpeg`; anything that is not a MIME type -> UNKNOWN_CONTENT_TYPE. */
export function normalizeContentType(raw: string | undefined): string {
  const type = (raw ?? '').split(';')[0]!.trim().toLowerCase();
  return MIME.test(type) ? type : UNKNOWN_CONTENT_TYPE;
}

export const isSupportedImage = (contentType: string): contentType is SupportedImageType =>
  (SUPPORTED_IMAGE_TYPES as readonly string[]).includes(contentType);

/**
 * A media URL we may fetch with the account's credentials: https, or an origin named in
 * `allowedOrigins` (TWILIO_API_BASE_URL's, so tests can point at a plain-http fake). Anything else
 * would send our Twilio credentials wherever a forged webhook field pointed.
 */
export function acceptableMediaUrl(raw: string | undefined, allowedOrigins: readonly string[]): string | undefined {
  if (!raw || raw.length > 2048) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.username || url.password) return undefined;
  if (url.protocol === 'https:' || allowedOrigins.includes(url.origin)) return url.href;
  return undefined;
}

/** The origins besides https ones that media may come from: the configured Twilio API's. */
export function mediaOrigins(twilioApiBaseUrl: string | undefined): string[] {
  if (!twilioApiBaseUrl) return [];
  try {
    return [new URL(twilioApiBaseUrl).origin];
  } catch {
    return [];
  }
}

/**
 * Reads NumMedia, MediaUrlN and MediaContentTypeN from a signed webhook form. Never throws: a
 * signed delivery is recorded whatever its fields say (a missing URL is kept as an item without
 * one, an odd type as UNKNOWN_CONTENT_TYPE).
 */
export function parseInboundMedia(
  form: Readonly<Record<string, unknown>>,
  allowedOrigins: readonly string[] = [],
): InboundMediaList {
  const raw = typeof form.NumMedia === 'string' ? form.NumMedia.trim() : '';
  const numMedia = /^\d{1,6}$/.test(raw) ? Number(raw) : 0;
  const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : undefined);
  const media: InboundMedia[] = [];
  for (let i = 0; i < Math.min(numMedia, MAX_MEDIA); i++) {
    const url = acceptableMediaUrl(field(`MediaUrl${i}`), allowedOrigins);
    media.push({ ...(url !== undefined && { url }), contentType: normalizeContentType(field(`MediaContentType${i}`)) });
  }
  return { numMedia, media };
}

/** What the texter is told when no AI call is made for their media. */
export const MEDIA_UNSUPPORTED_TEXT =
  'Sorry, I can only read pictures (JPEG, PNG, GIF or WebP images) and text. Please send your question as text or as one of those.';
export const NO_VISION_TEXT = "Sorry, I can't look at pictures or attachments here. Please send your question as text.";

/**
 * What to do with an SMS's media, decided from what the webhook recorded:
 * - `none`: no media (or an SMS from before media were recorded): text as ever;
 * - `vision`: the images go to the vision model with the text; `skipped` are the other media,
 *   which the model is told about (so its answer can say they were not seen);
 * - `unsupported`: a polite SMS (`text`), no AI call.
 */
export type MediaPlan =
  | { kind: 'none' }
  | { kind: 'vision'; model: string; images: (InboundMedia & { url: string })[]; skipped: InboundMedia[] }
  | { kind: 'unsupported'; text: string };

export function planMedia(media: readonly InboundMedia[] | undefined, visionModel: string | undefined): MediaPlan {
  if (!media || media.length === 0) return { kind: 'none' };
  if (!visionModel) return { kind: 'unsupported', text: NO_VISION_TEXT };
  const images = media.filter(
    (m): m is InboundMedia & { url: string } => m.url !== undefined && isSupportedImage(m.contentType),
  );
  if (images.length === 0) return { kind: 'unsupported', text: MEDIA_UNSUPPORTED_TEXT };
  return { kind: 'vision', model: visionModel, images, skipped: media.filter((m) => !images.includes(m as never)) };
}

/** The line added to the texter's words when some media were left out, so the answer can say so. */
export function skippedMediaNote(skipped: readonly InboundMedia[]): string | undefined {
  if (skipped.length === 0) return undefined;
  const types = [...new Set(skipped.map((m) => m.contentType))].join(', ');
  const files = skipped.length === 1 ? '1 more attachment' : `${skipped.length} more attachments`;
  return `(The texter also sent ${files} you cannot see (${types}); only JPEG, PNG, GIF and WebP images are shown to you. Say so briefly if it matters.)`;
}

/** Why fetched media cannot go to the model (no retry helps), or undefined when it can. */
export function fetchedMediaProblem(
  fetched: { contentType: string; sizeBytes: number },
  maxBytes: number,
): string | undefined {
  if (!isSupportedImage(fetched.contentType)) {
    return `Twilio served ${fetched.contentType}, not a JPEG, PNG, GIF or WebP image`;
  }
  if (fetched.sizeBytes > maxBytes) return `${fetched.sizeBytes} bytes, over MMS_MAX_BYTES (${maxBytes})`;
  return undefined;
}

/** What the task page shows of one media item: no URL, no bytes. */
export interface MediaSummary {
  index: number;
  contentType: string;
  sizeBytes?: number;
  sha256?: string;
}

/** One line per media item of a task, from SmsReceived's media and MediaFetched (what was seen). */
export function summarizeMedia(
  received: readonly InboundMedia[] | undefined,
  fetched: readonly { index: number; contentType: string; sizeBytes: number; sha256: string }[] | undefined,
): MediaSummary[] {
  return (received ?? []).map((m, index) => {
    const seen = fetched?.find((f) => f.index === index);
    return seen
      ? { index, contentType: seen.contentType, sizeBytes: seen.sizeBytes, sha256: seen.sha256 }
      : { index, contentType: m.contentType };
  });
}
