import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_SID, AUTH_TOKEN, newSid, OUR_NUMBER, useSmsStack } from '../support/sms-stack.js';
import { dataOf, eventually, nextPhone, repliesTo, types, workflowExists } from '../workflows/helpers.js';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

describe('Twilio webhooks: signed, validated, idempotent', () => {
  const stack = useSmsStack();

  const inbound = (overrides: Record<string, string | undefined> = {}) => {
    const params: Record<string, string | undefined> = {
      MessageSid: newSid(),
      AccountSid: ACCOUNT_SID,
      From: nextPhone(),
      To: OUR_NUMBER,
      Body: 'What is the capital of France?',
      NumMedia: '0',
      ...overrides,
    };
    return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<string, string>;
  };

  /** POSTs a form; signed for `signAs` (URL and params, default: exactly what is sent) unless signature is given. */
  async function post(
    path: string,
    params: Record<string, string>,
    options: {
      signature?: string | null;
      signUrl?: string;
      signParams?: Record<string, string>;
      rawBody?: string;
    } = {},
  ) {
    const url = `${stack.apiUrl}${path}`;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const signature =
      options.signature === undefined
        ? twilio.getExpectedTwilioSignature(AUTH_TOKEN, options.signUrl ?? url, options.signParams ?? params)
        : options.signature;
    if (signature !== null) headers['x-twilio-signature'] = signature;
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: options.rawBody ?? new URLSearchParams(params).toString(),
    });
    const text = await response.text();
    return { status: response.status, text, json: () => JSON.parse(text) as { message: string } };
  }

  async function expectNothingRecorded(params: Record<string, string>) {
    const sid = params.MessageSid;
    if (sid) {
      expect(await workflowExists(stack, sid)).toBe(false);
      expect(await stack.events(`sms-${sid}`)).toEqual([]);
    }
    if (params.From) expect(await stack.events(`user-${params.From}`)).toEqual([]);
    expect(stack.openai.requests).toHaveLength(0);
  }

  describe('signature', () => {
    it('given no X-Twilio-Signature, answers 403 and records nothing', async () => {
      const params = inbound();
      const response = await post('/sms/receive', params, { signature: null });
      expect(response.status).toBe(403);
      expect(response.json().message).toMatch(/missing X-Twilio-Signature/);
      await expectNothingRecorded(params);
    });

    it('given a forged signature, answers 403 and records nothing', async () => {
      const params = inbound();
      const response = await post('/sms/receive', params, { signature: randomBytes(20).toString('base64') });
      expect(response.status).toBe(403);
      await expectNothingRecorded(params);
    });

    it('given a signature made with another auth token, answers 403', async () => {
      const params = inbound();
      const url = `${stack.apiUrl}/sms/receive`;
      const signature = twilio.getExpectedTwilioSignature('another-auth-token-000', url, params);
      expect((await post('/sms/receive', params, { signature })).status).toBe(403);
      await expectNothingRecorded(params);
    });

    it('given a signature over other params (the body was tampered with), answers 403', async () => {
      const params = inbound();
      const response = await post('/sms/receive', params, {
        signParams: { ...params, Body: 'an innocent question' },
      });
      expect(response.status).toBe(403);
      await expectNothingRecorded(params);
    });

    it('given a signature for another URL, answers 403', async () => {
      for (const signUrl of ['https://evil.example.com/sms/receive', `${stack.apiUrl}/sms/status`]) {
        const params = inbound();
        expect((await post('/sms/receive', params, { signUrl })).status).toBe(403);
        await expectNothingRecorded(params);
      }
    });

    it('given an unsigned status callback, answers 403 and records nothing', async () => {
      const task = newSid();
      const params = { MessageSid: newSid(), MessageStatus: 'delivered', To: nextPhone() };
      const response = await post(`/sms/status?task=${task}`, params, { signature: null });
      expect(response.status).toBe(403);
      expect(await stack.events(`sms-${task}`)).toEqual([]);
    });
  });

  describe('validation', () => {
    it('given no MessageSid, answers 400 naming the field and records nothing', async () => {
      const params = inbound({ MessageSid: undefined });
      const response = await post('/sms/receive', params);
      expect(response.status).toBe(400);
      expect(response.json().message).toMatch(/MessageSid/);
      await expectNothingRecorded(params);
    });

    it.each([
      ['a number in a range libphonenumber does not know', '+15552345678', '+15552345678', undefined],
      ['a short code', '12345', '12345', 'short_code'],
      ['an alphanumeric sender id', 'ACME Bank', 'ACME Bank', 'alphanumeric'],
      ['a string no phone library reads', 'not-a-number', 'not-a-number', 'other'],
    ])(
      'given a signed SMS from %s, records it with the sender as Twilio sent it (never a 400: Twilio does not retry)',
      async (_, from, recorded, kind) => {
        const params = inbound({ From: from });
        const response = await post('/sms/receive', params);
        expect(response.status).toBe(200);
        expect(response.text).toBe(EMPTY_TWIML);
        const [received] = dataOf(await stack.events(`sms-${params.MessageSid}`), 'SmsReceived');
        expect(received).toMatchObject({ from: recorded, body: params.Body });
        expect(received?.senderKind).toBe(kind);
        // Its workflow runs to the end (answered or withheld) before the next test counts AI calls
        await stack.handle(params.MessageSid!).result();
      },
    );

    it('given a Body of 1,000 emoji (2,000 UTF-16 units), records it whole; past 1,600 code points, cut there and says so', async () => {
      const whole = inbound({ Body: '😀'.repeat(1000) });
      expect((await post('/sms/receive', whole)).status).toBe(200);
      expect(dataOf(await stack.events(`sms-${whole.MessageSid}`), 'SmsReceived')[0]?.body).toBe(whole.Body);

      const long = inbound({ Body: '😀'.repeat(1601) });
      expect((await post('/sms/receive', long)).status).toBe(200);
      const [received] = dataOf(await stack.events(`sms-${long.MessageSid}`), 'SmsReceived');
      expect(Array.from(received?.body ?? '')).toHaveLength(1600);
      expect(received?.bodyTruncatedFrom).toBe(1601);
      for (const sid of [whole.MessageSid!, long.MessageSid!]) {
        expect(await stack.handle(sid).result()).toEqual({ outcome: 'answered' });
      }
    });

    it('given a Body with NUL characters, records it without them', async () => {
      const params = inbound({ Body: 'hello\u0000 world\u0000' });
      expect((await post('/sms/receive', params)).status).toBe(200);
      expect(dataOf(await stack.events(`sms-${params.MessageSid}`), 'SmsReceived')[0]?.body).toBe('hello world');
      expect(await stack.handle(params.MessageSid!).result()).toEqual({ outcome: 'answered' });
    });

    it('given a body over the size limit, answers 413 without reading it', async () => {
      const params = inbound({ Body: 'x'.repeat(80 * 1024) });
      const response = await post('/sms/receive', params);
      expect(response.status).toBe(413);
      await expectNothingRecorded(params);
    });
  });

  describe('duplicate deliveries', () => {
    it('given the same webhook 5 times at once and again after the task completed, runs one workflow and replies once', async () => {
      stack.openai.knobs.reply = 'Paris.';
      const params = inbound();
      const sid = params.MessageSid!;
      const from = params.From!;

      const first = await Promise.all(Array.from({ length: 5 }, () => post('/sms/receive', params)));
      expect(first.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      for (const r of first) expect(r.text).toBe(EMPTY_TWIML);
      expect(await stack.handle(sid).result()).toEqual({ outcome: 'answered' });
      const { runId } = await stack.handle(sid).describe();

      const again = await Promise.all(Array.from({ length: 5 }, () => post('/sms/receive', params)));
      expect(again.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);

      // Still the one closed run, one set of events, one AI call and exactly one SMS.
      const latest = await stack.handle(sid).describe();
      expect(latest.runId).toBe(runId);
      expect(latest.status.name).toBe('COMPLETED');
      const runIds = async () => {
        const ids: string[] = [];
        for await (const run of stack.client.workflow.list({ query: `WorkflowId="sms-${sid}"` })) ids.push(run.runId);
        return ids;
      };
      expect(await eventually(runIds, (ids) => ids.length > 0, 10_000)).toEqual([runId]);
      expect(types(await stack.events(`sms-${sid}`))).toEqual([
        'SmsReceived',
        'TaskClassified',
        'AiResponseGenerated',
        'ReplyIntentRecorded',
        'ReplySent',
        'TaskCompleted',
      ]);
      expect(types(await stack.events(`user-${from}`))).toEqual([
        'UserRegistered',
        'UsageRecorded',
        // The most the answer could cost, held until the call; then what it cost (domain/user/spend.ts).
        'SpendReserved',
        'SpendRecorded',
        'ConversationTurnRecorded',
        'ReplyProgressRecorded',
      ]);
      expect(stack.openai.requests).toHaveLength(1);
      expect(repliesTo(stack, from).map((m) => m.body)).toEqual(['Paris.']);
    });
  });

  describe('status callbacks', () => {
    async function answeredTask() {
      const from = nextPhone();
      const sent = await stack.sendSms({ from, body: 'What is the capital of Peru?' });
      await stack.handle(sent.sid).result();
      const [reply] = repliesTo(stack, from);
      if (!reply) throw new Error('no reply was sent');
      return { from, sid: sent.sid, reply };
    }

    it('given a signed delivered callback (twice), records one DeliveryStatusUpdated on the task stream', async () => {
      const { sid, reply } = await answeredTask();
      expect((await stack.twilio.deliverStatus(reply.sid, 'sent')).status).toBe(204);
      expect((await stack.twilio.deliverStatus(reply.sid, 'delivered')).status).toBe(204);
      expect((await stack.twilio.deliverStatus(reply.sid, 'delivered')).status).toBe(204);

      const updates = dataOf(await stack.events(`sms-${sid}`), 'DeliveryStatusUpdated');
      expect(updates).toEqual([
        { providerMessageSid: reply.sid, status: 'sent' },
        { providerMessageSid: reply.sid, status: 'delivered' },
      ]);
    });

    it('given undelivered with error 21610, records UserOptedOut (carrier) and the person gets no more answers', async () => {
      const { from, sid, reply } = await answeredTask();
      expect((await stack.twilio.deliverStatus(reply.sid, 'undelivered', '21610')).status).toBe(204);

      expect(dataOf(await stack.events(`sms-${sid}`), 'DeliveryStatusUpdated')).toEqual([
        { providerMessageSid: reply.sid, status: 'undelivered', errorCode: '21610' },
      ]);
      const optOuts = dataOf(await stack.events(`user-${from}`), 'UserOptedOut');
      expect(optOuts).toEqual([{ source: 'carrier', messageSid: sid }]);

      stack.openai.reset();
      const next = await stack.sendSms({ from, body: 'And the capital of Chile?' });
      expect(await stack.handle(next.sid).result()).toEqual({ outcome: 'opted_out' });
      expect(stack.openai.requests).toHaveLength(0);
      expect(repliesTo(stack, from)).toHaveLength(1);
    });

    it('given an unknown MessageStatus, answers 400', async () => {
      const task = newSid();
      const response = await post(`/sms/status?task=${task}`, {
        MessageSid: newSid(),
        MessageStatus: 'exploded',
        To: nextPhone(),
      });
      expect(response.status).toBe(400);
      expect(response.json().message).toMatch(/unknown MessageStatus/);
    });
  });

  describe('simulator with Twilio configured', () => {
    it('given a simulated SMS, answers through the simulator and never texts the made-up number', async () => {
      const from = nextPhone();
      const response = await fetch(`${stack.apiUrl}/api/simulator/sms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.config.ADMIN_API_TOKEN}` },
        body: JSON.stringify({ from, body: 'What is the capital of Spain?' }),
      });
      expect(response.status).toBe(202);
      const { messageSid } = (await response.json()) as { messageSid: string };
      expect(await stack.handle(messageSid).result()).toEqual({ outcome: 'answered' });
      const [sent] = dataOf(await stack.events(`sms-${messageSid}`), 'ReplySent');
      expect(sent).toMatchObject({ provider: 'simulator', kind: 'answer', to: from });
      expect(stack.twilio.messages).toHaveLength(0);
    });
  });
});
