import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SmsStack, startSmsStack } from '../support/sms-stack.js';
import { dataOf, nextPhone, types, workflowExists } from '../workflows/helpers.js';

describe('phone simulator without Twilio credentials', () => {
  let stack: SmsStack;
  beforeAll(async () => {
    // Empty means unset: the worker falls back to the simulator provider.
    stack = await startSmsStack({ TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', TWILIO_PHONE_NUMBER: '' });
  });
  afterAll(() => stack?.close());
  beforeEach(() => {
    stack.twilio.reset();
    stack.openai.reset();
  });

  const simulate = (body: unknown, token: string | null = stack.config.ADMIN_API_TOKEN ?? null) =>
    fetch(`${stack.apiUrl}/api/simulator/sms`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });

  it('given the admin token, accepts with 202, answers, and records a simulator ReplySent; nothing reaches Twilio', async () => {
    const from = nextPhone();
    stack.openai.knobs.reply = 'Canberra.';
    const response = await simulate({ from, body: 'What is the capital of Australia?' });
    expect(response.status).toBe(202);
    const { messageSid, workflowId } = (await response.json()) as { messageSid: string; workflowId: string };
    expect(workflowId).toBe(`sms-${messageSid}`);

    expect(await stack.handle(messageSid).result()).toEqual({ outcome: 'answered' });
    const events = await stack.events(`sms-${messageSid}`);
    expect(types(events)).toEqual([
      'SmsReceived',
      'TaskClassified',
      'AiResponseGenerated',
      'ReplyIntentRecorded',
      'ReplySent',
      'TaskCompleted',
    ]);
    expect(dataOf(events, 'SmsReceived')[0]).toMatchObject({ provider: 'simulator', from });
    expect(dataOf(events, 'ReplySent')).toEqual([
      expect.objectContaining({ provider: 'simulator', to: from, body: 'Canberra.', kind: 'answer' }),
    ]);
    expect(stack.twilio.calls).toHaveLength(0);
    expect(stack.twilio.messages).toHaveLength(0);
  });

  it('accepts any number format libphonenumber reads and normalises it to E.164', async () => {
    const response = await simulate({ from: '(415) 555-0142', body: 'HELP' });
    expect(response.status).toBe(202);
    const { messageSid } = (await response.json()) as { messageSid: string };
    await stack.handle(messageSid).result();
    expect(dataOf(await stack.events(`sms-${messageSid}`), 'ReplySent')[0]).toMatchObject({
      to: '+14155550142',
      provider: 'simulator',
      kind: 'keyword',
    });
  });

  it('without the token answers 401; with a wrong one 401; nothing is started', async () => {
    const from = nextPhone();
    for (const token of [null, 'wrong-token-0123456789']) {
      const response = await simulate({ from, body: 'Hello?' }, token);
      expect(response.status).toBe(401);
    }
    expect(await stack.events(`user-${from}`)).toEqual([]);
    expect(stack.openai.requests).toHaveLength(0);
  });

  it('given something that is no phone number, or a body past the request limit, answers 400', async () => {
    expect((await simulate({ from: 'nope', body: 'Hi' })).status).toBe(400);
    expect((await simulate({ from: nextPhone(), body: 'x'.repeat(10_001) })).status).toBe(400);
  });

  it('the Twilio webhook is refused: with no auth token no signature can be checked', async () => {
    const sent = await stack.sendSms({ from: nextPhone(), body: 'Hi' });
    expect(sent.status).toBe(403);
    expect(await workflowExists(stack, sent.sid)).toBe(false);
  });
});
