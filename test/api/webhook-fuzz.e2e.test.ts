import net from 'node:net';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../bench/support/http-client.js';
import { type Rng, rng } from '../../bench/support/prng.js';
import { ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, type SmsStack, startSmsStack } from '../support/sms-stack.js';

/**
 * Thousands of hostile webhook requests against the real API (fast-check is not installed, so
 * a seeded PRNG generates them; FUZZ_SEED repeats a run). None is a valid signed request, so
 * every one must be refused with a 4xx, and none may record anything or start anything.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_601);
const REQUESTS = 3_000;
const CONCURRENCY = 16;

interface FuzzRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
}

const FORM = 'application/x-www-form-urlencoded';

function validForm(r: Rng): Record<string, string> {
  return {
    MessageSid: `SM${r.string(32, '0123456789abcdef')}`,
    AccountSid: ACCOUNT_SID,
    From: `+1415${r.int(2_000_000, 9_999_999)}`,
    To: OUR_NUMBER,
    Body: r.string(r.int(0, 200)),
    NumMedia: '0',
  };
}

const sign = (url: string, params: Record<string, string>, token = AUTH_TOKEN) =>
  twilio.getExpectedTwilioSignature(token, url, params);
const encode = (params: Record<string, string>) => new URLSearchParams(params).toString();

/** One generator per way a request can be wrong; each builds a request that is wrong by construction. */
function generators(base: string): Record<string, (r: Rng) => FuzzRequest> {
  const receive = `${base}/sms/receive`;
  const post = (
    kind: string,
    body: string | Buffer,
    headers: Record<string, string | string[]>,
    path = '/sms/receive',
  ) => ({
    kind,
    method: 'POST',
    path,
    headers,
    body,
  });
  return {
    unsigned: (r) => post('unsigned', encode(validForm(r)), { 'content-type': FORM }),
    'empty signature': (r) =>
      post('empty signature', encode(validForm(r)), { 'content-type': FORM, 'x-twilio-signature': '' }),
    'garbage signature': (r) =>
      post('garbage signature', encode(validForm(r)), {
        'content-type': FORM,
        'x-twilio-signature': r.string(
          r.int(1, 64),
          'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=',
        ),
      }),
    'signed with another token': (r) => {
      const form = validForm(r);
      return post('signed with another token', encode(form), {
        'content-type': FORM,
        'x-twilio-signature': sign(receive, form, `${AUTH_TOKEN}x`),
      });
    },
    'signed for another URL': (r) => {
      const form = validForm(r);
      const url = r.pick([
        'https://evil.example/sms/receive',
        `${base}/sms/status`,
        `${receive}?x=1`,
        receive.replace('http://', 'https://'),
        `${receive}/`,
      ]);
      return post('signed for another URL', encode(form), {
        'content-type': FORM,
        'x-twilio-signature': sign(url, form),
      });
    },
    'tampered after signing': (r) => {
      const form = validForm(r);
      const signature = sign(receive, form);
      const tampered = { ...form };
      const field = r.pick(['Body', 'From', 'MessageSid', 'Extra'] as const);
      if (field === 'From') tampered.From = `+1415${r.int(2_000_000, 9_999_999)}`;
      else if (field === 'MessageSid') tampered.MessageSid = `SM${r.string(32, '0123456789abcdef')}`;
      else if (field === 'Body') tampered.Body = `${form.Body}!`;
      else tampered.Extra = r.string(5);
      if (r.chance(0.3)) delete tampered.NumMedia;
      return post('tampered after signing', encode(tampered), {
        'content-type': FORM,
        'x-twilio-signature': signature,
      });
    },
    'signed but invalid fields': (r) => {
      const form: Record<string, string> = validForm(r);
      // A long body or an odd sender is content, which a signed SMS is never refused for (the second test).
      const breakage = r.pick(['sid', 'no sid', 'no from', 'no to', 'no body', 'media'] as const);
      if (breakage === 'sid')
        form.MessageSid = r.pick([
          '',
          'SM',
          `XX${r.string(32, 'abc')}`,
          `SM${r.string(8, 'ab')}`,
          `SM${r.string(20, '!@#$%^')}`,
        ]);
      if (breakage === 'no sid') delete form.MessageSid;
      if (breakage === 'no from') delete form.From;
      if (breakage === 'no to') delete form.To;
      if (breakage === 'no body') delete form.Body;
      if (breakage === 'media') form.NumMedia = r.pick(['abc', '100', '-1', '1.5']);
      return post(`signed but invalid (${breakage})`, encode(form), {
        'content-type': FORM,
        'x-twilio-signature': sign(receive, form),
      });
    },
    'malformed form body': (r) => {
      const body = r.pick([
        () => r.string(r.int(1, 500)),
        () => `MessageSid=%ZZ&From=%${r.string(1)}&Body=${'%'.repeat(r.int(1, 20))}`,
        () => '&'.repeat(r.int(1, 300)),
        () => Buffer.from(Array.from({ length: r.int(1, 400) }, () => r.int(0, 255))),
        () => `${'a'.repeat(r.int(1, 50))}=${'b'.repeat(r.int(1, 50))}`.repeat(r.int(1, 40)),
      ])();
      const headers: Record<string, string> = { 'content-type': FORM };
      if (r.chance(0.5)) headers['x-twilio-signature'] = r.string(28);
      return post('malformed form body', body, headers);
    },
    'other content types': (r) => {
      const form = validForm(r);
      const [type, body] = r.pick([
        ['application/json', JSON.stringify(form)],
        ['application/json', `{"MessageSid": ${r.string(10)}`],
        ['text/plain', encode(form)],
        ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="Body"\r\n\r\nhi\r\n--x--`],
        ['application/xml', '<Message/>'],
        [`${FORM}; charset=utf-16`, encode(form)],
      ] as const);
      // Never a valid signature: a correctly signed JSON body is a real request in another encoding.
      const headers: Record<string, string> = { 'content-type': type };
      if (r.chance(0.5)) headers['x-twilio-signature'] = sign(receive, { Body: 'other' });
      return post('other content types', body, headers);
    },
    oversized: (r) => {
      const form = { ...validForm(r), Body: 'x'.repeat(r.int(70_000, 600_000)) };
      const headers: Record<string, string> = { 'content-type': FORM };
      if (r.chance(0.5)) headers['x-twilio-signature'] = sign(receive, form);
      return post('oversized', encode(form), headers);
    },
    'header abuse': (r) => {
      const form = validForm(r);
      const signature = sign(receive, form);
      const headers = r.pick([
        // Two signature headers (one right, one wrong): joined, they match nothing.
        { 'content-type': FORM, 'x-twilio-signature': [signature, r.string(28)] },
        { 'content-type': FORM, 'x-twilio-signature': r.string(r.int(1_000, 8_000)) },
        {
          'content-type': FORM,
          'x-twilio-signature': signature.toLowerCase() === signature ? `${signature}=` : signature.toLowerCase(),
        },
        { 'content-type': FORM, 'x-twilio-signature': ` ${signature}x` },
      ]);
      return post('header abuse', encode(form), headers);
    },
    'wrong method or route': (r) => {
      const form = validForm(r);
      const method = r.pick(['GET', 'PUT', 'PATCH', 'DELETE', 'POST']);
      const path =
        method === 'POST'
          ? r.pick(['/sms/receive/x', '/sms/Receive', '/sms//receive', '/sms/receive%00', '/../sms/receive', '/sms'])
          : r.pick(['/sms/receive', `/sms/receive?${encode(form)}`]);
      return {
        kind: 'wrong method or route',
        method,
        path,
        headers: { 'content-type': FORM, 'x-twilio-signature': sign(`${base}${path}`, form) },
        body: method === 'GET' || method === 'DELETE' ? undefined : encode(form),
      };
    },
    'status callback, bad': (r) => {
      const task = `SM${r.string(32, '0123456789abcdef')}`;
      const params: Record<string, string> = {
        MessageSid: `SM${r.string(32, '0123456789abcdef')}`,
        MessageStatus: 'delivered',
        AccountSid: ACCOUNT_SID,
        To: `+1415${r.int(2_000_000, 9_999_999)}`,
      };
      const breakage = r.pick(['unsigned', 'wrong token', 'no task', 'bad task', 'status', 'error code'] as const);
      let path = `/sms/status?task=${task}`;
      if (breakage === 'no task') path = '/sms/status';
      if (breakage === 'bad task')
        path = `/sms/status?task=${encodeURIComponent(r.pick(['', 'x', `SM${r.string(3)}`, r.string(80)]))}`;
      if (breakage === 'status')
        params.MessageStatus = r.pick(['exploded', 'DELIVEREDX', r.string(r.int(1, 32), 'abcdefgh')]);
      if (breakage === 'error code') params.ErrorCode = r.pick(['abc', '123456789', '-1']);
      const headers: Record<string, string> = { 'content-type': FORM };
      if (breakage !== 'unsigned')
        headers['x-twilio-signature'] = sign(
          `${base}${path}`,
          params,
          breakage === 'wrong token' ? 'nope-nope-nope' : AUTH_TOKEN,
        );
      return { kind: `status callback (${breakage})`, method: 'POST', path, headers, body: encode(params) };
    },
  };
}

/** Bytes that are not HTTP at all; Node's parser answers 400 and closes. */
function rawGarbage(port: number, r: Rng): Promise<string> {
  const payload = r.pick([
    () => `POST /sms/receive HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`,
    () => `POST /sms/receive HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
    () => `${r.string(r.int(5, 80))}\r\n\r\n`,
    () => `POST /sms/receive HTTP/9.9\r\n\r\n`,
    () => `POST /sms/receive HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n`,
    () => `POST /sms/receive HTTP/1.1\r\n${'X-Big: '.concat('a'.repeat(20_000))}\r\n\r\n`,
  ])();
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
    });
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.setTimeout(5_000, () => socket.destroy());
    socket.end(payload);
  });
}

async function countEvents(stack: SmsStack): Promise<number> {
  const { rows } = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  return rows[0]?.n ?? -1;
}

const countWorkflows = async (stack: SmsStack) =>
  (await stack.client.workflow.count(`TaskQueue = "${stack.config.TEMPORAL_TASK_QUEUE}"`)).count;

describe('the Twilio webhooks under fuzzing', () => {
  let stack: SmsStack;
  beforeAll(async () => {
    stack = await startSmsStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it(`given ${REQUESTS} malformed, unsigned, oversized and wrongly signed requests, when they hit the API, then every one gets a 4xx and nothing is recorded or started`, async () => {
    const r = rng(SEED);
    const base = stack.apiUrl;
    const port = Number(new URL(base).port);
    const gens = Object.values(generators(base));
    const eventsBefore = await countEvents(stack);
    const http = new HttpClient(base, { maxSockets: CONCURRENCY });

    // When
    const byKind = new Map<string, Record<string, number>>();
    const unexpected: string[] = [];
    const record = (kind: string, status: string) => {
      const counts = byKind.get(kind) ?? {};
      counts[status] = (counts[status] ?? 0) + 1;
      byKind.set(kind, counts);
      if (!/^4\d\d$/.test(status) && unexpected.length < 20) unexpected.push(`${kind}: ${status}`);
    };
    const requests = Array.from({ length: REQUESTS }, (_, i) => (i % 100 === 99 ? undefined : r.pick(gens)(r)));
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const request = requests[next++];
          if (!request) {
            const answer = await rawGarbage(port, r);
            record('raw garbage', /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 'no answer');
            continue;
          }
          const res = await http
            .request(request.method, request.path, request.body, request.headers)
            .catch((error: Error) => ({ status: `error ${error.message}` }));
          record(request.kind, String(res.status));
        }
      }),
    );
    http.close();

    // Then: only 4xx answers
    const summary = Object.fromEntries([...byKind].sort(([a], [b]) => a.localeCompare(b)));
    expect(unexpected, JSON.stringify(summary, null, 1)).toEqual([]);
    expect(byKind.size).toBeGreaterThanOrEqual(12);
    // And nothing was appended, started, sent or asked of the model
    expect(await countEvents(stack)).toBe(eventsBefore);
    expect(await countWorkflows(stack)).toBe(0);
    expect(stack.twilio.messages).toHaveLength(0);
    expect(stack.openai.requests).toHaveLength(0);

    // And the checks can see a real request: one valid signed SMS is accepted and starts its workflow
    const accepted = await stack.sendSms({ from: '+14155550123', body: 'Is anyone there?' });
    expect(accepted.status).toBe(200);
    await expect.poll(() => countWorkflows(stack), { timeout: 10_000 }).toBe(1);
  }, 90_000);
});

/** Characters the real world sends: emoji and their sequences, combining marks, RTL, controls, NUL, lone surrogates. */
const HOSTILE_PIECES = [
  'a',
  ' ',
  'é',
  '€',
  '😀',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '\u0301',
  '\u0334\u0335\u0336',
  'שלום',
  'مرحبا',
  '\u202E',
  '\u200D',
  '\uFEFF',
  '\u0000',
  '\u0007',
  '\r\n',
  '\uD800',
  '\uDFFF',
  '𝕏',
  '%',
  '&',
  '=',
  '+',
];

const ODD_SENDERS = (r: Rng) =>
  r.pick([
    `+1415${r.int(2_000_000, 9_999_999)}`,
    `+1555${r.int(2_000_000, 9_999_999)}`,
    `+44 7700 ${r.int(100_000, 999_999)}`,
    `+${r.int(1, 999)}${r.int(10_000, 99_999_999)}`,
    String(r.int(100, 99_999_999)),
    r.pick(['ACME', 'VERIFY', 'Bank 24', 'ALERTS']),
    `whatsapp:+1415${r.int(2_000_000, 9_999_999)}`,
    r.string(r.int(1, 64)),
  ]);

function hostileBody(r: Rng): string {
  const size = r.pick([0, 1, 10, 160, 1_599, 1_600, 1_601, 3_000, 20_000]);
  let out = '';
  let points = 0;
  while (points < size) {
    const piece = r.pick(HOSTILE_PIECES);
    out += piece;
    points += Array.from(piece).length;
  }
  return out;
}

describe('signed webhooks with what the real world sends', () => {
  let stack: SmsStack;
  beforeAll(async () => {
    // Recording is what is under test: the inbox starter stays off, so no workflow runs.
    stack = await startSmsStack({}, { inbox: { enabled: false } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('given 1,500 signed SMS with hostile Unicode, sizes at and past every limit, odd senders and duplicate deliveries, then each is recorded once or refused for its size, never a 5xx', async () => {
    const r = rng(SEED + 1);
    const url = `${stack.apiUrl}/sms/receive`;
    const http = new HttpClient(stack.apiUrl, { maxSockets: CONCURRENCY });
    const forms: Record<string, string>[] = [];
    for (let i = 0; i < 1_500; i++) {
      // One in ten is a duplicate delivery of an earlier SMS
      const earlier = i > 0 && r.chance(0.1) ? forms[r.int(0, forms.length - 1)] : undefined;
      const form = earlier ?? {
        MessageSid: `SM${r.string(32, '0123456789abcdef')}`,
        AccountSid: ACCOUNT_SID,
        From: ODD_SENDERS(r),
        To: OUR_NUMBER,
        Body: hostileBody(r),
        NumMedia: '0',
      };
      forms.push(form);
    }
    const statuses: Record<string, number> = {};
    const accepted = new Set<string>();
    const unexpected: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < forms.length) {
          const form = forms[next++]!;
          const body = encode(form);
          // Sign what the server will read: the form as decoded from the bytes sent.
          const signed = Object.fromEntries(new URLSearchParams(body));
          const res = await http.request('POST', '/sms/receive', body, {
            'content-type': FORM,
            'x-twilio-signature': sign(url, signed),
          });
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 200) accepted.add(form.MessageSid!);
          else if (!(res.status === 413 && body.length > 64 * 1024) && unexpected.length < 10)
            unexpected.push(`${res.status} for a ${body.length}-byte body from ${JSON.stringify(form.From)}`);
        }
      }),
    );
    http.close();

    expect(unexpected, JSON.stringify(statuses)).toEqual([]);
    expect(accepted.size).toBeGreaterThan(1_000);
    // Every accepted SMS is in the log exactly once, readable through the validating store
    const { rows } = await stack.pool.query<{ stream_name: string; n: number }>(
      `SELECT stream_name, count(*)::int AS n FROM events WHERE event_type = 'SmsReceived' GROUP BY stream_name`,
    );
    const counts = new Map(rows.map((row) => [row.stream_name.slice('sms-'.length), row.n]));
    expect([...accepted].filter((sid) => counts.get(sid) !== 1)).toEqual([]);
    expect(counts.size).toBe(accepted.size);
    for (const sid of [...accepted].slice(0, 300)) {
      const [event] = await stack.store.readStream(`sms-${sid}`);
      const data = event?.data as { body: string; from: string };
      expect(data.body.includes('\u0000')).toBe(false);
      expect(Array.from(data.body).length).toBeLessThanOrEqual(1_600);
    }
  }, 120_000);
});
