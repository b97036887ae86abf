import { describe, expect, it } from 'vitest';
import {
  acceptableMediaUrl,
  fetchedMediaProblem,
  MAX_MEDIA,
  MEDIA_UNSUPPORTED_TEXT,
  mediaOrigins,
  NO_VISION_TEXT,
  normalizeContentType,
  parseInboundMedia,
  planMedia,
  skippedMediaNote,
  UNKNOWN_CONTENT_TYPE,
} from '../../../domain/sms/media.js';

const TWILIO = 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media';

describe('parseInboundMedia: what a signed webhook says about its media', () => {
  it('given NumMedia=2 with URLs and types, then both are kept in order, types normalised', () => {
    const form = {
      NumMedia: '2',
      MediaUrl0: `${TWILIO}/ME0`,
      MediaContentType0: 'image/jpeg',
      MediaUrl1: `${TWILIO}/ME1`,
      MediaContentType1: 'Image/PNG; charset=binary',
    };
    expect(parseInboundMedia(form)).toEqual({
      numMedia: 2,
      media: [
        { url: `${TWILIO}/ME0`, contentType: 'image/jpeg' },
        { url: `${TWILIO}/ME1`, contentType: 'image/png' },
      ],
    });
  });

  it('given no NumMedia, or NumMedia=0, then no media', () => {
    expect(parseInboundMedia({})).toEqual({ numMedia: 0, media: [] });
    expect(parseInboundMedia({ NumMedia: '0', MediaUrl0: `${TWILIO}/ME0` })).toEqual({ numMedia: 0, media: [] });
  });

  it.each(['abc', '-1', '1.5', '', ' '])('given NumMedia=%j, then it reads as 0 and nothing is taken', (raw) => {
    expect(parseInboundMedia({ NumMedia: raw, MediaUrl0: `${TWILIO}/ME0`, MediaContentType0: 'image/png' })).toEqual({
      numMedia: 0,
      media: [],
    });
  });

  it('given NumMedia=2 with MediaUrl1 missing, then the item is kept without a URL (it counts, it cannot be fetched)', () => {
    const parsed = parseInboundMedia({ NumMedia: '2', MediaUrl0: `${TWILIO}/ME0`, MediaContentType0: 'image/gif' });
    expect(parsed.media).toEqual([
      { url: `${TWILIO}/ME0`, contentType: 'image/gif' },
      { contentType: UNKNOWN_CONTENT_TYPE },
    ]);
  });

  it(`given more than ${MAX_MEDIA} media, then NumMedia is kept as sent and the first ${MAX_MEDIA} are taken`, () => {
    const form: Record<string, string> = { NumMedia: '12' };
    for (let i = 0; i < 12; i++) {
      form[`MediaUrl${i}`] = `${TWILIO}/ME${i}`;
      form[`MediaContentType${i}`] = 'image/jpeg';
    }
    const parsed = parseInboundMedia(form);
    expect(parsed.numMedia).toBe(12);
    expect(parsed.media).toHaveLength(MAX_MEDIA);
    expect(parsed.media.at(-1)?.url).toBe(`${TWILIO}/ME9`);
  });

  it('given a plain-http or odd URL, then it is dropped unless its origin is allowed (the test fake)', () => {
    const form = {
      NumMedia: '3',
      MediaUrl0: 'http://127.0.0.1:4010/2010-04-01/x',
      MediaContentType0: 'image/png',
      MediaUrl1: 'file:///etc/passwd',
      MediaContentType1: 'image/png',
      MediaUrl2: 'https://user:pw@evil.example/x.png',
      MediaContentType2: 'image/png',
    };
    expect(parseInboundMedia(form).media.map((m) => m.url)).toEqual([undefined, undefined, undefined]);
    expect(parseInboundMedia(form, ['http://127.0.0.1:4010']).media[0]?.url).toBe('http://127.0.0.1:4010/2010-04-01/x');
  });

  it.each([
    ['image/jpeg', 'image/jpeg'],
    [' IMAGE/WEBP ', 'image/webp'],
    ['application/pdf', 'application/pdf'],
    ['video/3gpp; codecs=x', 'video/3gpp'],
    ['jpeg', UNKNOWN_CONTENT_TYPE],
    ['', UNKNOWN_CONTENT_TYPE],
    ['<script>/x', UNKNOWN_CONTENT_TYPE],
    [`image/${'x'.repeat(200)}`, UNKNOWN_CONTENT_TYPE],
  ])('given MediaContentType %j, then it is recorded as %j', (raw, expected) => {
    expect(normalizeContentType(raw)).toBe(expected);
  });
});

describe('acceptableMediaUrl and mediaOrigins', () => {
  it('given TWILIO_API_BASE_URL, then its origin is allowed; unset, none', () => {
    expect(mediaOrigins('http://127.0.0.1:4010/')).toEqual(['http://127.0.0.1:4010']);
    expect(mediaOrigins(undefined)).toEqual([]);
  });

  it('given an https URL, then it is kept; a very long one is not', () => {
    expect(acceptableMediaUrl(`${TWILIO}/ME0`, [])).toBe(`${TWILIO}/ME0`);
    expect(acceptableMediaUrl(`${TWILIO}/${'a'.repeat(3000)}`, [])).toBeUndefined();
    expect(acceptableMediaUrl('not a url', [])).toBeUndefined();
  });
});

describe('planMedia: which media the AI sees', () => {
  const png = { url: `${TWILIO}/ME0`, contentType: 'image/png' };
  const pdf = { url: `${TWILIO}/ME1`, contentType: 'application/pdf' };
  const audio = { url: `${TWILIO}/ME2`, contentType: 'audio/amr' };

  it('given no media (an SMS, or a run from before MMS), then text as ever', () => {
    expect(planMedia(undefined, 'gpt-4o')).toEqual({ kind: 'none' });
    expect(planMedia([], 'gpt-4o')).toEqual({ kind: 'none' });
  });

  it('given an image and a vision model, then the image goes to that model', () => {
    expect(planMedia([png], 'gpt-4o')).toEqual({ kind: 'vision', model: 'gpt-4o', images: [png], skipped: [] });
  });

  it.each([
    ['a PDF', [pdf]],
    ['audio', [audio]],
    ['an image without a URL', [{ contentType: 'image/png' }]],
    ['an SVG', [{ url: `${TWILIO}/ME3`, contentType: 'image/svg+xml' }]],
  ])('given %s only, then the polite SMS names what is supported, no AI call', (_what, media) => {
    expect(planMedia(media, 'gpt-4o')).toEqual({ kind: 'unsupported', text: MEDIA_UNSUPPORTED_TEXT });
    expect(MEDIA_UNSUPPORTED_TEXT).toMatch(/JPEG, PNG, GIF or WebP/);
  });

  it('given an image but no vision model, then the polite SMS says pictures cannot be read', () => {
    expect(planMedia([png], undefined)).toEqual({ kind: 'unsupported', text: NO_VISION_TEXT });
  });

  it('given an image and a PDF, then the image goes to the model and the PDF is named in a note', () => {
    const plan = planMedia([pdf, png, audio], 'gpt-4o');
    expect(plan).toEqual({ kind: 'vision', model: 'gpt-4o', images: [png], skipped: [pdf, audio] });
    expect(skippedMediaNote([pdf, audio])).toMatch(/2 more attachments .*application\/pdf, audio\/amr/);
    expect(skippedMediaNote([])).toBeUndefined();
  });

  it('the polite texts fit one SMS segment', () => {
    expect(MEDIA_UNSUPPORTED_TEXT.length).toBeLessThanOrEqual(160);
    expect(NO_VISION_TEXT.length).toBeLessThanOrEqual(160);
  });
});

describe('fetchedMediaProblem: what no retry fixes', () => {
  it('given an image under the cap, then none; too big or not an image, then the reason', () => {
    expect(fetchedMediaProblem({ contentType: 'image/png', sizeBytes: 100 }, 100)).toBeUndefined();
    expect(fetchedMediaProblem({ contentType: 'image/png', sizeBytes: 101 }, 100)).toMatch(/over MMS_MAX_BYTES/);
    expect(fetchedMediaProblem({ contentType: 'text/html', sizeBytes: 1 }, 100)).toMatch(/text\/html/);
  });
});
