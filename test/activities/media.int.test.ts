import { createHash, randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchMedia, MEDIA_ERRORS, type MediaFetchOptions, visionContent } from '../../activities/media.js';
import { type RunningServer, startServer } from '../fakes/http.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';

const accountSid = `AC${'b'.repeat(32)}`;
const authToken = 'media-auth-token';
const options: MediaFetchOptions = { accountSid, authToken, maxBytes: 10_000, timeoutMs: 5_000 };

let twilio: FakeTwilio;
beforeAll(async () => {
  twilio = await startFakeTwilio({ accountSid, authToken });
});
afterAll(() => twilio.close());
beforeEach(() => twilio.reset());

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  return error;
}

describe('fetchMedia against the fake Twilio (real HTTP)', () => {
  it('given the account credentials, when Twilio redirects to storage, then the bytes, size and SHA-256 come back', async () => {
    const bytes = randomBytes(2_000);
    const media = twilio.addMedia({ contentType: 'image/webp', bytes });
    const fetched = await fetchMedia(media.url, 3, options);
    expect(fetched).toMatchObject({
      index: 3,
      contentType: 'image/webp',
      sizeBytes: 2_000,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(fetched.bytes.equals(bytes)).toBe(true);
    expect(twilio.calls.map((c) => c.status)).toEqual([307, 200]);
  });

  it('given no credentials, then Twilio answers 401: a failure a retry may fix (ops fix the credentials)', async () => {
    const media = twilio.addMedia({ contentType: 'image/png', bytes: randomBytes(10) });
    const error = await failure(fetchMedia(media.url, 0, { ...options, accountSid: undefined }));
    expect(error).toMatchObject({ type: MEDIA_ERRORS.failed, nonRetryable: false });
    expect(error.message).toContain('HTTP 401');
    expect(error.details).toEqual([{ step: 'media' }]);
  });

  it("given a 404 or a 5xx, then retryable, except on the AI step's last attempt; the URL is never in the message", async () => {
    const media = twilio.addMedia({ contentType: 'image/png', bytes: randomBytes(10) });
    twilio.knobs.failMediaNext(1, 404);
    twilio.knobs.failMediaNext(1, 500);
    const first = await failure(fetchMedia(media.url, 0, options));
    expect(first).toMatchObject({ type: MEDIA_ERRORS.failed, nonRetryable: false });
    expect(first.message).toBe('MMS media 0 could not be fetched: HTTP 404');
    const last = await failure(fetchMedia(media.url, 0, { ...options, lastAttempt: true }));
    expect(last).toMatchObject({ type: MEDIA_ERRORS.failed, nonRetryable: true });
    expect(last.message).not.toContain(media.url);
    // Then it works
    expect((await fetchMedia(media.url, 0, options)).sizeBytes).toBe(10);
  });

  it('given Twilio serves something else than an image, then MediaRejected, not retried', async () => {
    const media = twilio.addMedia({ contentType: 'image/jpeg', bytes: randomBytes(10), servedAs: 'text/html' });
    const error = await failure(fetchMedia(media.url, 1, options));
    expect(error).toMatchObject({ type: MEDIA_ERRORS.rejected, nonRetryable: true });
    expect(error.message).toMatch(/text\/html/);
  });

  it('given an image over MMS_MAX_BYTES, then MediaRejected before reading it', async () => {
    const media = twilio.addMedia({ contentType: 'image/png', bytes: randomBytes(10_001) });
    const error = await failure(fetchMedia(media.url, 0, options));
    expect(error).toMatchObject({ type: MEDIA_ERRORS.rejected, nonRetryable: true });
    expect(error.message).toMatch(/over MMS_MAX_BYTES/);
  });

  it('given a download slower than the timeout, then a retryable failure saying so', async () => {
    const media = twilio.addMedia({ contentType: 'image/png', bytes: randomBytes(10) });
    twilio.knobs.mediaLatencyMs = 1_000;
    const error = await failure(fetchMedia(media.url, 0, { ...options, timeoutMs: 150 }));
    expect(error).toMatchObject({ type: MEDIA_ERRORS.failed, nonRetryable: false });
    expect(error.message).toMatch(/timed out after 150 ms/);
  });
});

describe('fetchMedia when the size is not announced', () => {
  let storage: RunningServer;
  beforeAll(async () => {
    // Chunked, no Content-Length: the cap must hold while reading.
    storage = await startServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/gif' });
      for (let i = 0; i < 20; i++) res.write(randomBytes(1_000));
      res.end();
    });
  });
  afterAll(() => storage.close());

  it('given more bytes than the cap, then MediaRejected while reading', async () => {
    const error = await failure(fetchMedia(`${storage.origin}/x.gif`, 0, options));
    expect(error).toMatchObject({ type: MEDIA_ERRORS.rejected, nonRetryable: true });
    expect((await fetchMedia(`${storage.origin}/x.gif`, 0, { ...options, maxBytes: 20_000 })).sizeBytes).toBe(20_000);
  });
});

describe('visionContent', () => {
  it('given words, one image and a skipped PDF, then a text part (with the note) and an image_url data URL', () => {
    const bytes = Buffer.from('abc');
    const parts = visionContent(
      'What is it?',
      [{ index: 0, contentType: 'image/png', sizeBytes: 3, sha256: '0'.repeat(64), bytes }],
      [{ contentType: 'application/pdf' }],
    );
    expect(parts).toEqual([
      { type: 'text', text: expect.stringMatching(/^What is it\?\n\n\(The texter also sent 1 more attachment/) },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,YWJj' } },
    ]);
  });

  it('given no words, then only the image', () => {
    const parts = visionContent(
      '',
      [{ index: 0, contentType: 'image/gif', sizeBytes: 1, sha256: '', bytes: Buffer.from('a') }],
      [],
    );
    expect(parts).toEqual([{ type: 'image_url', image_url: { url: 'data:image/gif;base64,YQ==' } }]);
  });
});

describe('fetchMedia and the account credentials', () => {
  let storage: RunningServer;
  let twilioLike: RunningServer;
  let seenAuthorization: string | undefined;
  beforeAll(async () => {
    storage = await startServer(async (req, res) => {
      seenAuthorization = req.headers.authorization;
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(Buffer.from('jpeg'));
    });
    // Like Twilio: the media URL redirects to storage on another origin.
    twilioLike = await startServer(async (req, res) => {
      if (!req.headers.authorization) return void res.writeHead(401).end();
      res.writeHead(307, { location: `${storage.origin}/bucket/ME1?sig=x` }).end();
    });
  });
  afterAll(async () => {
    await storage.close();
    await twilioLike.close();
  });

  it('given a redirect to storage on another origin, then the bytes come back and the credentials stay with Twilio', async () => {
    const fetched = await fetchMedia(`${twilioLike.origin}/Media/ME1`, 0, options);
    expect(fetched.bytes.toString()).toBe('jpeg');
    expect(seenAuthorization).toBeUndefined();
  });
});
