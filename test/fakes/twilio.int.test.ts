import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioClient } from '../../activities/twilio-client.js';
import { type FakeTwilio, startFakeTwilio } from './twilio.js';

const accountSid = `AC${'a'.repeat(32)}`;
const authToken = 'test-auth-token';
const from = '+15005550006';
const to = '+14155550123';

let fake: FakeTwilio;
let client: ReturnType<typeof createTwilioClient>;

beforeAll(async () => {
  fake = await startFakeTwilio({ accountSid, authToken });
  client = createTwilioClient({ accountSid, authToken, apiBaseUrl: fake.baseUrl });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

/** The error a promise rejects with, for asserting on its fields. */
async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

describe('fake Twilio with the real twilio SDK', () => {
  it('given a client pointed at the fake, when it sends a message, then the fake records it and answers like Twilio', async () => {
    const sent = await client.messages.create({
      to,
      from,
      body: 'Hello from the test',
      statusCallback: 'https://example.test/sms/status',
    });
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent).toMatchObject({ status: 'queued', numSegments: '1', to, from, accountSid, direction: 'outbound-api' });
    expect(sent.dateCreated).toBeInstanceOf(Date);
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({
      sid: sent.sid,
      to,
      from,
      body: 'Hello from the test',
      statusCallback: 'https://example.test/sms/status',
      numSegments: 1,
    });
    const fetched = await client.messages(sent.sid).fetch();
    expect(fetched.body).toBe('Hello from the test');
  });

  it('given a long UCS-2 body, then the fake counts its segments like Twilio', async () => {
    const sent = await client.messages.create({ to, from, body: 'ç'.repeat(100) });
    expect(sent.numSegments).toBe('2');
  });

  it('given failNext(1), when sending, then the SDK gets a 5xx error with a status code, and the next send works', async () => {
    fake.knobs.failNext(1, 503);
    const error = await rejection(client.messages.create({ to, from, body: 'one' }));
    expect(error).toBeInstanceOf(twilio.RestException);
    expect(error).toMatchObject({ status: 503, code: 20500 });
    await client.messages.create({ to, from, body: 'two' });
    expect(fake.calls.map((c) => c.status)).toEqual([503, 201]);
    expect(fake.messages.map((m) => m.body)).toEqual(['two']);
  });

  it('given failWith(21610), when sending, then the SDK gets a 400 with the opted-out error code', async () => {
    fake.knobs.failWith(21610);
    const error = await rejection(client.messages.create({ to, from, body: 'hi' }));
    expect(error).toMatchObject({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    expect(error.moreInfo).toBe('https://www.twilio.com/docs/errors/21610');
  });

  it('given rateLimitNext(1), when sending, then the SDK gets a 429', async () => {
    fake.knobs.rateLimitNext(1);
    expect(await rejection(client.messages.create({ to, from, body: 'hi' }))).toMatchObject({
      status: 429,
      code: 20429,
    });
  });

  it('given a wrong auth token, then the fake refuses with 401', async () => {
    const intruder = createTwilioClient({ accountSid, authToken: 'wrong', apiBaseUrl: fake.baseUrl });
    expect(await rejection(intruder.messages.create({ to, from, body: 'hi' }))).toMatchObject({
      status: 401,
      code: 20003,
    });
    expect(fake.messages).toHaveLength(0);
  });

  it('given no To, then the fake answers Twilio validation error 21604', async () => {
    const error = await rejection(client.messages.create({ to: '', from, body: 'hi' }));
    expect(error).toMatchObject({ status: 400, code: 21604 });
  });

  it('given latency, then the answer takes at least that long', async () => {
    fake.knobs.latencyMs = 150;
    const started = performance.now();
    await client.messages.create({ to, from, body: 'slow' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('given a base URL with a trailing slash, then the paths still join', async () => {
    const slashed = createTwilioClient({ accountSid, authToken, apiBaseUrl: `${fake.baseUrl}/` });
    await slashed.messages.create({ to, from, body: 'slash' });
    expect(fake.calls.at(-1)?.path).toBe(`/2010-04-01/Accounts/${accountSid}/Messages.json`);
  });
});

describe('fake Twilio status callbacks', () => {
  it('given a sent message, when the fake delivers a status, then the callback carries a signature twilio.validateRequest accepts', async () => {
    const received: { signature: string; params: Record<string, string> }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({
          signature: String(req.headers['x-twilio-signature']),
          params: Object.fromEntries(new URLSearchParams(body)),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/sms/status`;
    try {
      const sent = await client.messages.create({ to, from, body: 'status please', statusCallback: callbackUrl });
      const answer = await fake.deliverStatus(sent.sid, 'undelivered', '30007');
      expect(answer.status).toBe(204);
      expect(received).toHaveLength(1);
      const [{ signature, params }] = received as [(typeof received)[0]];
      expect(params).toMatchObject({
        MessageSid: sent.sid,
        MessageStatus: 'undelivered',
        SmsStatus: 'undelivered',
        ErrorCode: '30007',
        To: to,
        From: from,
        AccountSid: accountSid,
      });
      expect(twilio.validateRequest(authToken, signature, callbackUrl, params)).toBe(true);
      expect(twilio.validateRequest('another-token', signature, callbackUrl, params)).toBe(false);
      expect(twilio.validateRequest(authToken, signature, callbackUrl, { ...params, MessageStatus: 'delivered' })).toBe(
        false,
      );
      expect(fake.messages[0]).toMatchObject({ status: 'undelivered', errorCode: '30007' });
    } finally {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe('fake Twilio serving MMS media', () => {
  const basic = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

  it('given no credentials, then 401; with them, a 307 to storage that serves the bytes with their type', async () => {
    const bytes = Buffer.from('GIF89a...');
    const media = fake.addMedia({ contentType: 'image/gif', bytes });
    expect(media.url.startsWith(`${fake.baseUrl}/2010-04-01/Accounts/${accountSid}/Messages/MM`)).toBe(true);

    expect((await fetch(media.url)).status).toBe(401);
    const redirect = await fetch(media.url, { headers: { authorization: basic }, redirect: 'manual' });
    expect(redirect.status).toBe(307);
    const location = redirect.headers.get('location') ?? '';
    expect(location).toMatch(/^\/storage\//);

    // Storage takes no credentials, like a presigned URL.
    const stored = await fetch(new URL(location, fake.baseUrl));
    expect(stored.headers.get('content-type')).toBe('image/gif');
    expect(Buffer.from(await stored.arrayBuffer()).equals(bytes)).toBe(true);
    expect(fake.mediaDownloads).toBe(1);
  });

  it('given failMediaNext and failMediaAlways, then downloads fail until healMedia', async () => {
    const media = fake.addMedia({ contentType: 'image/png', bytes: Buffer.from('png') });
    const get = () => fetch(media.url, { headers: { authorization: basic } }).then((r) => r.status);
    fake.knobs.failMediaNext(1, 503);
    expect(await get()).toBe(503);
    expect(await get()).toBe(200);
    fake.knobs.failMediaAlways(404);
    expect([await get(), await get()]).toEqual([404, 404]);
    fake.knobs.healMedia();
    expect(await get()).toBe(200);
  });

  it('given servedAs, then storage answers with that type (Twilio and the webhook disagree)', async () => {
    const media = fake.addMedia({ contentType: 'image/jpeg', bytes: Buffer.from('x'), servedAs: 'text/html' });
    const response = await fetch(media.url, { headers: { authorization: basic } });
    expect(response.headers.get('content-type')).toBe('text/html');
  });

  it('given reset, then stored media are forgotten (404)', async () => {
    const media = fake.addMedia({ contentType: 'image/png', bytes: Buffer.from('png') });
    fake.reset();
    expect((await fetch(media.url, { headers: { authorization: basic } })).status).toBe(404);
  });
});
