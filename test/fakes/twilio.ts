import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SegmentedMessage } from 'sms-segments-calculator';
import twilio from 'twilio';
import { sendJson, startServer } from './http.js';

/**
 * A fake of the Twilio REST API (just the Messages resource), served over real HTTP so the real
 * twilio SDK talks to it: point the client at `baseUrl` (TWILIO_API_BASE_URL).
 */

export interface SentMessage {
  sid: string;
  accountSid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  statusCallback?: string;
  /** Updated by deliverStatus. */
  status: string;
  errorCode?: string;
  numSegments: number;
  dateCreated: Date;
  /** The form parameters exactly as the SDK sent them. */
  params: Record<string, string>;
}

/** Every API call, including the rejected ones, to assert on retries. */
export interface ApiCall {
  method: string;
  path: string;
  status: number;
}

export interface TwilioKnobs {
  /** Delay before every answer. */
  latencyMs: number;
  /** The next n sends answer a 5xx (Twilio error JSON, code 20500). */
  failNext(n: number, status?: number): void;
  /** The next `times` sends answer 400 with this Twilio error code (21610: the recipient opted out). */
  failWith(code: number, times?: number): void;
  /** The next n sends answer 429 (code 20429). */
  rateLimitNext(n: number): void;
  /**
   * The next n sends are recorded (the SMS goes out) but answer 500, as when the connection
   * drops after Twilio accepted the message or the worker dies before recording it.
   */
  loseResponseNext(n: number): void;
  /**
   * Called once a message is accepted (recorded, so it goes out) and before Twilio's 201 is sent:
   * the soak kills the worker here, the worst moment, between Twilio's answer and ReplySent.
   */
  onAccepted?: (message: SentMessage) => Promise<void> | void;
  /** The next n message list look-ups answer 503 (the reconciliation before a resend cannot ask). */
  failListNext(n: number): void;
  /**
   * Each send answers a 5xx (500 or 503, code 20500) with this probability (0..1), before any
   * message is recorded: random transient faults for soaks.
   */
  failureRate: number;
  /** The next n media downloads answer this status (default 500) instead of the media. */
  failMediaNext(n: number, status?: number): void;
  /** Every media download answers this status until reset() (404: Twilio lost it). */
  failMediaAlways(status?: number): void;
  /** Clears failMediaNext and failMediaAlways: media downloads work again. */
  healMedia(): void;
  /** Delay before a media download answers (tests of the fetch timeout). */
  mediaLatencyMs: number;
}

/** An MMS media item the fake serves, as Twilio keeps the media of an inbound MMS. */
export interface StoredMedia {
  /** The media URL Twilio puts in MediaUrlN (basic auth, then a redirect to storage). */
  url: string;
  contentType: string;
  bytes: Buffer;
}

export interface FakeTwilio {
  /** `http://127.0.0.1:<port>`: what api.twilio.com would be. */
  baseUrl: string;
  messages: SentMessage[];
  calls: ApiCall[];
  knobs: TwilioKnobs;
  /** POSTs a signed status callback for a sent message to its StatusCallback URL, as Twilio does. */
  deliverStatus(sid: string, status: string, errorCode?: string): Promise<{ status: number; body: string }>;
  /**
   * Stores media for an inbound MMS and returns it with its URL. GET on the URL needs basic auth
   * (401 without) and answers 307 to a storage URL on the fake, which serves the bytes with
   * `servedAs` (default contentType) as Content-Type, like Twilio's redirect to its storage.
   */
  addMedia(media: { contentType: string; bytes: Buffer; servedAs?: string }): StoredMedia;
  /** Media downloads (storage reads) made, for assertions. */
  mediaDownloads: number;
  /** Forgets messages and calls, and clears every knob. */
  reset(): void;
  close(): Promise<void>;
}

const ERROR_MESSAGES: Record<number, string> = {
  20003: 'Authenticate',
  20404: 'The requested resource was not found',
  20429: 'Too Many Requests',
  20500: 'An internal server error has occurred',
  // Twilio quotes the number, as here: error texts carry personal data.
  21211: "The 'To' number {To} is not a valid phone number.",
  21408: 'Permission to send an SMS has not been enabled for the region indicated by the "To" number',
  21602: 'Message body is required.',
  21603: "A 'From' phone number is required.",
  21604: "A 'To' phone number is required.",
  21610: 'Attempt to send to unsubscribed recipient',
  21614: "'To' number is not a valid mobile number",
  21617: 'The concatenated message body exceeds the 1600 character limit.',
};

const twilioError = (code: number, status: number, to = '') => ({
  code,
  message: (ERROR_MESSAGES[code] ?? `Twilio error ${code}`).replace('{To}', to),
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
});

/** Twilio writes dates as RFC 2822 with a numeric zone. */
const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

export async function startFakeTwilio(options: {
  accountSid: string;
  authToken: string;
  /** Source of failureRate's draws (seed it for repeatable runs). */
  random?: () => number;
}): Promise<FakeTwilio> {
  const { accountSid, authToken } = options;
  const random = options.random ?? Math.random;
  const messages: SentMessage[] = [];
  const calls: ApiCall[] = [];
  let failures: number[] = [];
  let errorCodes: number[] = [];
  let rateLimits = 0;
  let lostResponses = 0;
  let failedLists = 0;
  let mediaFailures: number[] = [];
  let mediaFailAlways: number | undefined;
  const media = new Map<string, StoredMedia & { servedAs: string }>();
  const storage = new Map<string, string>();
  let mediaDownloads = 0;

  const knobs: TwilioKnobs = {
    latencyMs: 0,
    failNext: (n, status = 500) => {
      failures.push(...Array<number>(n).fill(status));
    },
    failWith: (code, times = 1) => {
      errorCodes.push(...Array<number>(times).fill(code));
    },
    rateLimitNext: (n) => {
      rateLimits += n;
    },
    failListNext: (n) => {
      failedLists = n;
    },
    loseResponseNext: (n) => {
      lostResponses += n;
    },
    failureRate: 0,
    failMediaNext: (n, status = 500) => {
      mediaFailures.push(...Array<number>(n).fill(status));
    },
    failMediaAlways: (status = 404) => {
      mediaFailAlways = status;
    },
    healMedia: () => {
      mediaFailures = [];
      mediaFailAlways = undefined;
    },
    mediaLatencyMs: 0,
  };

  const randomFailure = () => {
    if (knobs.failureRate <= 0 || random() >= knobs.failureRate) return undefined;
    return random() < 0.5 ? 500 : 503;
  };

  const messageJson = (m: SentMessage) => {
    const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
    return {
      account_sid: m.accountSid,
      api_version: '2010-04-01',
      body: m.body,
      date_created: rfc2822(m.dateCreated),
      date_sent: null,
      date_updated: rfc2822(m.dateCreated),
      direction: 'outbound-api',
      error_code: m.errorCode ? Number(m.errorCode) : null,
      error_message: null,
      from: m.from ?? null,
      messaging_service_sid: m.messagingServiceSid ?? null,
      num_media: '0',
      num_segments: String(m.numSegments),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.status,
      subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
      to: m.to,
      uri,
    };
  };

  const authorized = (req: IncomingMessage) => {
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    return req.headers.authorization === expected;
  };

  const server = await startServer(async (req, res, body) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const answer = (status: number, json: unknown) => {
      calls.push({ method: req.method ?? 'GET', path, status });
      sendJson(res, status, json);
    };
    if (knobs.latencyMs > 0) await sleep(knobs.latencyMs);
    // Storage behind the redirect: a presigned URL, no basic auth (as Twilio's media storage).
    const stored = path.startsWith('/storage/') ? storage.get(path.slice('/storage/'.length)) : undefined;
    if (path.startsWith('/storage/') && req.method === 'GET') {
      const item = stored ? media.get(stored) : undefined;
      if (!item) return answer(404, twilioError(20404, 404));
      if (knobs.mediaLatencyMs > 0) await sleep(knobs.mediaLatencyMs);
      mediaDownloads++;
      calls.push({ method: 'GET', path: '/storage/…', status: 200 });
      res.writeHead(200, { 'content-type': item.servedAs, 'content-length': item.bytes.length });
      return void res.end(item.bytes);
    }
    if (!authorized(req))
      return answer(401, { ...twilioError(20003, 401), detail: 'Your AccountSid or AuthToken was incorrect.' });

    if (req.method === 'GET' && media.has(path)) {
      const failure = mediaFailAlways ?? mediaFailures.shift();
      if (failure !== undefined) return answer(failure, twilioError(failure === 404 ? 20404 : 20500, failure));
      const token = randomBytes(12).toString('hex');
      storage.set(token, path);
      calls.push({ method: 'GET', path, status: 307 });
      res.writeHead(307, { location: `/storage/${token}`, 'content-length': 0 });
      return void res.end();
    }

    const create = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
    const fetchOne = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/.exec(path);
    if (fetchOne && req.method === 'GET' && fetchOne[1] === accountSid) {
      const found = messages.find((m) => m.sid === fetchOne[2]);
      return found ? answer(200, messageJson(found)) : answer(404, twilioError(20404, 404));
    }
    if (create && req.method === 'GET' && create[1] === accountSid) {
      if (failedLists > 0) {
        failedLists--;
        return answer(503, twilioError(20503, 503));
      }
      // The list resource, filtered by To and From as Twilio does; one page is enough for a fake.
      const query = new URL(req.url ?? '/', 'http://fake').searchParams;
      const found = messages
        .filter(
          (m) => (!query.get('To') || m.to === query.get('To')) && (!query.get('From') || m.from === query.get('From')),
        )
        .reverse();
      const pageSize = Number(query.get('PageSize') ?? 50);
      return answer(200, {
        messages: found.slice(0, pageSize).map(messageJson),
        page: 0,
        page_size: pageSize,
        start: 0,
        end: Math.min(found.length, pageSize),
        uri: path,
        first_page_uri: path,
        next_page_uri: null,
        previous_page_uri: null,
      });
    }
    if (!create || req.method !== 'POST' || create[1] !== accountSid) return answer(404, twilioError(20404, 404));

    if (rateLimits > 0) {
      rateLimits--;
      return answer(429, twilioError(20429, 429));
    }
    const failure = failures.shift() ?? randomFailure();
    if (failure !== undefined) return answer(failure, twilioError(20500, failure));
    const params = Object.fromEntries(new URLSearchParams(body));
    const code = errorCodes.shift();
    if (code !== undefined) return answer(400, twilioError(code, 400, params.To));

    if (!params.To) return answer(400, twilioError(21604, 400));
    if (!params.From && !params.MessagingServiceSid) return answer(400, twilioError(21603, 400));
    if (!params.Body && !params.MediaUrl && !params.ContentSid) return answer(400, twilioError(21602, 400));
    if ((params.Body ?? '').length > 1600) return answer(400, twilioError(21617, 400));

    const message: SentMessage = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      accountSid,
      to: params.To,
      from: params.From,
      messagingServiceSid: params.MessagingServiceSid,
      body: params.Body ?? '',
      statusCallback: params.StatusCallback,
      status: 'queued',
      numSegments: new SegmentedMessage(params.Body ?? '').segmentsCount,
      dateCreated: new Date(),
      params,
    };
    messages.push(message);
    await knobs.onAccepted?.(message);
    if (lostResponses > 0) {
      lostResponses--;
      return answer(500, twilioError(20500, 500));
    }
    return answer(201, messageJson(message));
  });

  return {
    baseUrl: server.origin,
    messages,
    calls,
    knobs,
    async deliverStatus(sid, status, errorCode) {
      const message = messages.find((m) => m.sid === sid);
      if (!message) throw new Error(`fake Twilio: no message ${sid}`);
      if (!message.statusCallback) throw new Error(`fake Twilio: message ${sid} has no StatusCallback`);
      message.status = status;
      message.errorCode = errorCode;
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: '2010-04-01',
        From: message.from ?? '',
        MessageSid: sid,
        MessageStatus: status,
        SmsSid: sid,
        SmsStatus: status,
        To: message.to,
        ...(errorCode ? { ErrorCode: errorCode } : {}),
      };
      const response = await fetch(message.statusCallback, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, message.statusCallback, params),
          'user-agent': 'TwilioProxy/1.1',
        },
        body: new URLSearchParams(params).toString(),
      });
      return { status: response.status, body: await response.text() };
    },
    reset() {
      messages.length = 0;
      calls.length = 0;
      failures = [];
      errorCodes = [];
      rateLimits = 0;
      lostResponses = 0;
      failedLists = 0;
      mediaFailures = [];
      mediaFailAlways = undefined;
      mediaDownloads = 0;
      media.clear();
      storage.clear();
      knobs.mediaLatencyMs = 0;
      knobs.onAccepted = undefined;
      knobs.latencyMs = 0;
      knobs.failureRate = 0;
    },
    addMedia({ contentType, bytes, servedAs }) {
      const path = `/2010-04-01/Accounts/${accountSid}/Messages/MM${randomBytes(16).toString('hex')}/Media/ME${randomBytes(16).toString('hex')}`;
      const item = { url: `${server.origin}${path}`, contentType, bytes, servedAs: servedAs ?? contentType };
      media.set(path, item);
      return { url: item.url, contentType, bytes };
    },
    get mediaDownloads() {
      return mediaDownloads;
    },
    close: server.close,
  };
}
