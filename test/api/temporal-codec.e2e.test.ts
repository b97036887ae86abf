import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, parsePayloadKeys } from '../../infra/payload-codec.js';
import { findTemporalCli } from '../../infra/temporal-dev-server.js';
import { PAYLOAD_KEYS, useSmsStack } from '../support/sms-stack.js';
import { nextPhone, statusQuery, textAndWait, untilStep } from '../workflows/helpers.js';
import { login, newAccount } from './auth/helpers.js';

const UI_ORIGIN = 'http://localhost:8233'; // TEMPORAL_UI_PORT's default
const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('base64');
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
  data: b64(p.data),
});
const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const encodingOf = (p: Payload) => Buffer.from(p.metadata?.[METADATA_ENCODING_KEY] ?? []).toString();

describe('encrypted Temporal payloads', () => {
  const stack = useSmsStack();
  // A client as the Temporal UI or `temporal workflow show` is: no codec.
  let connection: Connection;
  let raw: Client;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    raw = new Client({ connection });
  });
  afterAll(() => connection?.close());

  const codec = (path: 'decode' | 'encode', init: { body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`${stack.apiUrl}/api/temporal-codec/${path}?preserveStorageRefs=true`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-namespace': 'default',
        authorization: `Bearer ${stack.config.ADMIN_API_TOKEN}`,
        ...init.headers,
      },
      body: JSON.stringify(init.body ?? { payloads: [] }),
    });

  describe('an SMS through the whole stack', () => {
    const from = nextPhone();
    const body = 'Which river flows through Ljubljana, please?';
    const reply = 'The Ljubljanica flows through Ljubljana.';
    let sid: string;
    let history: proto.temporal.api.history.v1.IHistory;
    let outcome: string;
    let replies: string[];
    beforeAll(async () => {
      stack.openai.knobs.reply = reply;
      ({ sid, outcome } = await textAndWait(stack, from, body));
      // Read now: the stack resets the fakes before each test.
      replies = stack.twilio.messages.filter((m) => m.to === from).map((m) => m.body);
      history = await raw.workflow.getHandle(`sms-${sid}`).fetchHistory();
    });
    const startInput = () => history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];

    it('was answered (the worker and clients agree on the codec)', () => {
      expect(outcome).toBe('answered');
      expect(replies).toEqual([reply]);
    });

    it('leaves neither the number, nor the text, nor the answer anywhere in the raw history', () => {
      const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
      // Not vacuous: the history is there and its payloads are encrypted
      expect(bytes.length).toBeGreaterThan(1_000);
      expect(startInput().map(encodingOf)).toEqual([ENCRYPTED_ENCODING]);
      for (const secret of [from, from.slice(2), body, 'Ljubljana', reply]) {
        expect(bytes.includes(Buffer.from(secret)), `"${secret}" in the history`).toBe(false);
      }
      // Base64 of the JSON as plain payloads would carry it, in case any view encodes it so
      expect(bytes.toString('base64')).not.toContain(Buffer.from(`"from":"${from}"`).toString('base64'));
    });

    it('a client without the codec cannot read the input; one with it can', async () => {
      const [input] = startInput();
      if (!input) throw new Error('no workflow input');
      expect(() => defaultPayloadConverter.fromPayload(input)).toThrow(/Unknown encoding: binary\/encrypted/);
      const { payloadCodecs, payloadConverter } = stack.client.options.loadedDataConverter;
      let decoded = [input];
      for (const c of [...payloadCodecs].reverse()) decoded = await c.decode(decoded);
      expect(payloadConverter.fromPayload(decoded[0]!)).toMatchObject({ from, body });
      // And the workflow's own answers come back through the codec
      expect(await stack.handle(sid).result()).toEqual({ outcome: 'answered' });
    });

    it('the codec endpoint decodes the input for an admin, as the Temporal UI asks it to', async () => {
      const response = await codec('decode', { body: { payloads: startInput().map(toJson) } });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const { payloads } = (await response.json()) as {
        payloads: { metadata: Record<string, string>; data: string }[];
      };
      expect(payloads).toHaveLength(1);
      expect(defaultPayloadConverter.fromPayload(fromJson(payloads[0]!))).toMatchObject({ from, body });
    });
  });

  describe('a failed task', () => {
    it('keeps failure messages out of the raw history; the codec client reads them', async () => {
      // Given an AI call that fails for good with a message naming the model
      stack.openai.knobs.failForModel('gpt-4o-mini', 404);
      const sent = await stack.sendSms({ from: nextPhone(), body: 'What is the capital of Slovenia?' });
      await untilStep(stack, sent.sid, 'needs_attention');
      const handle = raw.workflow.getHandle(`sms-${sent.sid}`);
      try {
        const history = await handle.fetchHistory();
        const failures = (history.events ?? []).flatMap((e) => {
          const failure = e.activityTaskFailedEventAttributes?.failure;
          return failure ? [failure] : [];
        });
        // Then the failure is in the history, its message only inside the encrypted attributes
        expect(failures.length).toBeGreaterThan(0);
        for (const failure of failures) {
          expect(failure.message).toBe('Encoded failure');
          expect(encodingOf(failure.encodedAttributes ?? {})).toBe(ENCRYPTED_ENCODING);
        }
        const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
        expect(bytes.includes(Buffer.from('does not exist'))).toBe(false);
        // And the workflow itself, and a client with the codec, still see the real message
        expect((await stack.handle(sent.sid).query(statusQuery)).lastError).toMatch(/does not exist/);
      } finally {
        await handle.terminate('test done');
      }
    });
  });

  describe('the Temporal CLI as a codec client', () => {
    const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH).path;
    const show = (sid: string, auth?: string, timeout = '30s') =>
      promisify(execFile)(cli ?? 'temporal', [
        'workflow',
        'show',
        '--workflow-id',
        `sms-${sid}`,
        '--address',
        inject('temporalAddress'),
        '--output',
        'json',
        '--command-timeout',
        timeout,
        '--codec-endpoint',
        `${stack.apiUrl}/api/temporal-codec`,
        ...(auth ? ['--codec-auth', auth] : []),
      ]);

    /** The workflow input as the CLI printed it (protobuf JSON: bytes in base64). */
    const inputOf = (stdout: string) => {
      const shown = JSON.parse(stdout) as {
        events: {
          workflowExecutionStartedEventAttributes?: {
            input: { payloads: { metadata: Record<string, string>; data: string }[] };
          };
        }[];
      };
      const payload = shown.events[0]?.workflowExecutionStartedEventAttributes?.input.payloads[0];
      if (!payload) throw new Error(`no input in: ${stdout.slice(0, 200)}`);
      return fromJson(payload);
    };

    it.skipIf(!cli)('decodes a history through the endpoint with the admin token, and not without', async () => {
      const from = nextPhone();
      const { sid } = await textAndWait(stack, from, 'How tall is Triglav?');
      const decoded = inputOf((await show(sid, `Bearer ${stack.config.ADMIN_API_TOKEN}`)).stdout);
      expect(defaultPayloadConverter.fromPayload(decoded)).toMatchObject({ from, body: 'How tall is Triglav?' });

      // Without the token the endpoint answers 401 and the CLI, which retries it, gives up without the input
      const refused = await show(sid, undefined, '3s').then(
        (r) => ({ exitCode: 0, stdout: r.stdout }),
        (error: { code?: number; stdout?: string }) => ({ exitCode: error.code, stdout: String(error.stdout ?? '') }),
      );
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stdout).not.toContain(b64(decoded.data));
    });
  });

  describe('the codec endpoint', () => {
    const plain = defaultPayloadConverter.toPayload({ hello: 'world' });

    it('401 without credentials, or with a wrong token', async () => {
      for (const headers of [{ authorization: '' }, { authorization: 'Bearer not-the-admin-token-at-all' }]) {
        const response = await codec('decode', { headers, body: { payloads: [toJson(plain)] } });
        expect(response.status).toBe(401);
        expect(await response.text()).not.toContain('world');
      }
    });

    it("decodes for an ops session's cookie alone (the UI's cross-origin credentials), not an analyst's", async () => {
      const payloads = [
        toJson(await new AesGcmPayloadCodec(parsePayloadKeys(PAYLOAD_KEYS)).encode([plain]).then((p) => p[0]!)),
      ];
      // As the browser sends it: the cookie and the origin, no Authorization and no CSRF header.
      const asUi = (cookie: string) =>
        fetch(`${stack.apiUrl}/api/temporal-codec/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-namespace': 'default', cookie, origin: UI_ORIGIN },
          body: JSON.stringify({ payloads }),
        });
      const ops = await newAccount(stack, 'ops');
      const opsSession = await login(stack, ops.email, ops.password);
      const decoded = await asUi(opsSession.cookie);
      expect(decoded.status).toBe(200);
      expect(decoded.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect(decoded.headers.get('access-control-allow-credentials')).toBe('true');
      const { payloads: back } = (await decoded.json()) as {
        payloads: { metadata: Record<string, string>; data: string }[];
      };
      expect(defaultPayloadConverter.fromPayload(fromJson(back[0]!))).toEqual({ hello: 'world' });

      const analyst = await newAccount(stack, 'analyst');
      const analystSession = await login(stack, analyst.email, analyst.password);
      const refused = await asUi(analystSession.cookie);
      expect(refused.status).toBe(403);
      expect(await refused.text()).not.toContain('world');
    });

    it('encodes with the first key, and decodes it back', async () => {
      const encoded = await codec('encode', { body: { payloads: [toJson(plain)] } });
      expect(encoded.status).toBe(200);
      const { payloads } = (await encoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      expect(encodingOf(fromJson(payloads[0]!))).toBe(ENCRYPTED_ENCODING);
      const decoded = await codec('decode', { body: { payloads } });
      const back = (await decoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      expect(defaultPayloadConverter.fromPayload(fromJson(back.payloads[0]!))).toEqual({ hello: 'world' });
    });

    it('passes unencrypted payloads through', async () => {
      const response = await codec('decode', { body: { payloads: [toJson(plain)] } });
      expect(((await response.json()) as { payloads: unknown[] }).payloads).toEqual([toJson(plain)]);
    });

    it('400 naming the key id of a payload it has no key for', async () => {
      const stranger = new AesGcmPayloadCodec(
        parsePayloadKeys(`retired-2024:${Buffer.alloc(32, 1).toString('base64')}`),
      );
      const [encrypted] = await stranger.encode([plain]);
      const response = await codec('decode', { body: { payloads: [toJson(encrypted!)] } });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/key id "retired-2024"/);
    });

    it('400 for a body that is not the protocol; 404 for another namespace', async () => {
      expect((await codec('decode', { body: { payloads: [{ data: 'not base64!' }] } })).status).toBe(400);
      expect((await codec('decode', { body: { nothing: true } })).status).toBe(400);
      expect((await codec('decode', { headers: { 'x-namespace': 'other' } })).status).toBe(404);
    });

    it('answers the Temporal UI origin a CORS preflight, with credentials allowed', async () => {
      const response = await fetch(`${stack.apiUrl}/api/temporal-codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin: UI_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
      expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
      // The actual call from the UI, and its 401, are readable by the UI too
      const unauthorised = await codec('decode', { headers: { origin: UI_ORIGIN, authorization: '' } });
      expect(unauthorised.status).toBe(401);
      expect(unauthorised.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    });

    it('gives any other origin no CORS headers at all', async () => {
      const evil = 'http://evil.example';
      const preflight = await fetch(`${stack.apiUrl}/api/temporal-codec/decode`, {
        method: 'OPTIONS',
        headers: { origin: evil, 'access-control-request-method': 'POST' },
      });
      const call = await codec('decode', { headers: { origin: evil }, body: { payloads: [toJson(plain)] } });
      for (const response of [preflight, call]) {
        expect([...response.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
      }
      expect(preflight.ok).toBe(false);
    });
  });
});
