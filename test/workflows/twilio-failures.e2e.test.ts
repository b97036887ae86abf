import { describe, expect, it } from 'vitest';
import { useSmsStack } from '../support/sms-stack.js';
import { dataOf, nextPhone, repliesTo, types, untilStep } from './helpers.js';

describe('smsTask when Twilio fails', () => {
  const stack = useSmsStack();

  const sendCalls = () => stack.twilio.calls.filter((c) => c.method === 'POST').map((c) => c.status);

  it('5xx twice, then success: exactly one message and one ReplySent', async () => {
    const from = nextPhone();
    stack.twilio.knobs.failNext(2, 503);
    const sent = await stack.sendSms({ from, body: 'What is the capital of Italy?' });
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(sendCalls()).toEqual([503, 503, 201]);
    expect(repliesTo(stack, from)).toHaveLength(1);
    const events = await stack.events(`sms-${sent.sid}`);
    expect(dataOf(events, 'ReplySent')).toEqual([
      expect.objectContaining({ providerMessageSid: repliesTo(stack, from)[0]?.sid, provider: 'twilio' }),
    ]);
    // The answer was generated once: a retried send does not call the model again.
    expect(stack.openai.requests).toHaveLength(1);
    // The sends were retried by the AI activity itself (it sends its answer): its third attempt
    // reused the recorded answer and sent.
    const history = await stack.handle(sent.sid).fetchHistory();
    const started = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(started.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([3]);
  });

  it('Twilio sent it but the answer was lost: the retry finds the message and sends nothing more', async () => {
    const from = nextPhone();
    stack.twilio.knobs.loseResponseNext(1);
    const sent = await stack.sendSms({ from, body: 'What is the capital of Spain?' });
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    // One POST (accepted, answer lost), then a look-up instead of a second send.
    expect(sendCalls()).toEqual([500]);
    expect(stack.twilio.calls.filter((c) => c.method === 'GET')).toHaveLength(1);
    expect(repliesTo(stack, from)).toHaveLength(1);
    const events = await stack.events(`sms-${sent.sid}`);
    expect(dataOf(events, 'ReplySent')).toEqual([
      expect.objectContaining({ providerMessageSid: repliesTo(stack, from)[0]?.sid }),
    ]);
  });

  it('the answer was lost and the look-up fails twice: the look-up is retried, never read as "not sent": one message', async () => {
    const from = nextPhone();
    stack.twilio.knobs.loseResponseNext(1);
    stack.twilio.knobs.failListNext(2);
    const sent = await stack.sendSms({ from, body: 'What is the capital of Portugal?' });
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(sendCalls()).toEqual([500]);
    expect(stack.twilio.calls.filter((c) => c.method === 'GET').map((c) => c.status)).toEqual([503, 503, 200]);
    expect(repliesTo(stack, from)).toHaveLength(1);
    expect(dataOf(await stack.events(`sms-${sent.sid}`), 'ReplySent')).toEqual([
      expect.objectContaining({ providerMessageSid: repliesTo(stack, from)[0]?.sid }),
    ]);
  });

  it('429 from Twilio: retried after a pause, one message', async () => {
    const from = nextPhone();
    stack.twilio.knobs.rateLimitNext(1);
    const sent = await stack.sendSms({ from, body: 'What is the capital of Greece?' });
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(sendCalls()).toEqual([429, 201]);
    expect(repliesTo(stack, from)).toHaveLength(1);
  });

  it('21610 (the person opted out at the carrier): not retried, UserOptedOut(carrier), outcome opted_out', async () => {
    const from = nextPhone();
    stack.twilio.knobs.failWith(21610);
    const sent = await stack.sendSms({ from, body: 'What is the capital of Egypt?' });
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'opted_out' });
    expect(sendCalls()).toEqual([400]);
    expect(repliesTo(stack, from)).toHaveLength(0);
    expect(types(await stack.events(`sms-${sent.sid}`))).toEqual([
      'SmsReceived',
      'TaskClassified',
      'AiResponseGenerated',
      'ReplyIntentRecorded',
      'ReplyWithheld',
      'TaskCompleted',
    ]);
    expect(dataOf(await stack.events(`sms-${sent.sid}`), 'ReplyWithheld')).toEqual([
      { kind: 'answer', reason: 'opted_out' },
    ]);
    expect(dataOf(await stack.events(`sms-${sent.sid}`), 'TaskCompleted')[0]?.outcome).toBe('opted_out');
    expect(dataOf(await stack.events(`user-${from}`), 'UserOptedOut')).toEqual([
      { source: 'carrier', messageSid: sent.sid },
    ]);

    // And the next text from that person is not answered
    const next = await stack.sendSms({ from, body: 'Hello?' });
    expect(await stack.handle(next.sid).result()).toEqual({ outcome: 'opted_out' });
    expect(stack.openai.requests).toHaveLength(1);
  });

  it('a rejection quoting the number (21211): TaskFailed and the alert carry it masked, never in clear', async () => {
    const from = nextPhone();
    stack.twilio.knobs.failWith(21211);
    const sent = await stack.sendSms({ from, body: 'What is the capital of Mali?' });
    await untilStep(stack, sent.sid, 'needs_attention');
    const [failed] = dataOf(await stack.events(`sms-${sent.sid}`), 'TaskFailed');
    expect(failed).toMatchObject({ step: 'reply', errorType: 'SmsRejected' });
    expect(failed?.errorMessage).toMatch(/The 'To' number \S+ is not a valid phone number/);
    expect(failed?.errorMessage).not.toContain(from);
    expect(failed?.errorMessage).not.toContain(from.slice(-7));
    await stack.handle(sent.sid).terminate('test done');
  });

  it('a 4xx rejection: not retried, needs attention; after the retry signal the saved answer is sent, the model is not asked again', async () => {
    const from = nextPhone();
    stack.twilio.knobs.failWith(21408);
    const sent = await stack.sendSms({ from, body: 'What is the capital of Kenya?' });
    await untilStep(stack, sent.sid, 'needs_attention');
    expect(sendCalls()).toEqual([400]);
    const [failed] = dataOf(await stack.events(`sms-${sent.sid}`), 'TaskFailed');
    expect(failed).toMatchObject({ step: 'reply', errorType: 'SmsRejected' });

    await stack.handle(sent.sid).signal('retry', { requestedBy: 'test' });
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });
    expect(sendCalls()).toEqual([400, 201]);
    expect(repliesTo(stack, from)).toHaveLength(1);
    expect(stack.openai.requests).toHaveLength(1);
    expect(dataOf(await stack.events(`sms-${sent.sid}`), 'AiResponseGenerated')).toHaveLength(1);
  });
});
