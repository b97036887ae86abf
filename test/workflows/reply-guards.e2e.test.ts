import { describe, expect, it } from 'vitest';
import { HELP_TEXT, STOP_CONFIRMATION } from '../../domain/sms/keywords.js';
import { measure } from '../../domain/sms/segments.js';
import { useSmsStack } from '../support/sms-stack.js';
import { dataOf, nextPhone, repliesTo, textAndWait, types, untilStep } from './helpers.js';

/** Routed to the coding model (gpt-4o), whose fallback is gpt-4o-mini. */
const CODING_QUESTION = 'How do I reverse an array in JavaScript?';

describe('smsTask sends nothing it should not: unreplyable senders, opt-out at send time, metered keywords, bounded AI cost', () => {
  const stack = useSmsStack({ KEYWORD_REPLIES_PER_HOUR: '2' });

  it.each([
    ['a short code', '12345', 'short_code'],
    ['an alphanumeric sender id', 'ACME', 'alphanumeric_sender'],
    ['a UK number while replies may go to +1 only (toll fraud)', '+447700900123', 'country_not_allowed'],
  ])(
    'given an SMS from %s, then it is recorded, the AI is not asked, nothing is sent, and the record says why',
    async (_, from, reason) => {
      const { sid, outcome } = await textAndWait(stack, from, 'What is the capital of Peru?');
      expect(outcome).toBe('unreplyable');
      const events = await stack.events(`sms-${sid}`);
      expect(types(events)).toEqual(['SmsReceived', 'ReplyWithheld', 'TaskCompleted']);
      expect(dataOf(events, 'ReplyWithheld')).toEqual([{ kind: 'answer', reason }]);
      expect(stack.openai.requests).toHaveLength(0);
      expect(stack.twilio.messages).toHaveLength(0);
    },
  );

  it('given a number in a range libphonenumber does not know (+1 555), then it is answered like any other', async () => {
    const from = '+15552345678';
    const { outcome } = await textAndWait(stack, from, 'What is the capital of Chile?');
    expect(outcome).toBe('answered');
    expect(repliesTo(stack, from)).toHaveLength(1);
  });

  it('given HELP three times within the hour (limit 2), then two answers; the third is withheld and recorded', async () => {
    const from = nextPhone();
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await textAndWait(stack, from, 'HELP')).outcome);
    expect(outcomes).toEqual(['keyword', 'keyword', 'keyword']);
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual([HELP_TEXT, HELP_TEXT]);
    const { sid } = await textAndWait(stack, from, 'INFO');
    expect(dataOf(await stack.events(`sms-${sid}`), 'ReplyWithheld')).toEqual([
      { kind: 'keyword', reason: 'keyword_limit' },
    ]);
    // STOP is never metered: it is always honoured and confirmed
    await textAndWait(stack, from, 'STOP');
    expect(repliesTo(stack, from).at(-1)?.body).toBe(STOP_CONFIRMATION);
    // START past the limit still opts back in, silently
    await textAndWait(stack, from, 'START');
    expect(dataOf(await stack.events(`user-${from}`), 'UserOptedIn')).toHaveLength(1);
    expect(repliesTo(stack, from)).toHaveLength(3);
  });

  it('given STOP while the AI is answering, then the answer is not sent (opt-out read again before sending)', async () => {
    const from = nextPhone();
    stack.openai.knobs.latencyMs = 2_000;
    const question = await stack.sendSms({ from, body: 'What is the capital of Kenya?' });
    await untilStep(stack, question.sid, 'ai');
    const stop = await textAndWait(stack, from, 'STOP');
    expect(stop.outcome).toBe('keyword');

    expect(await stack.handle(question.sid).result()).toEqual({ outcome: 'opted_out' });
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual([STOP_CONFIRMATION]);
    const events = await stack.events(`sms-${question.sid}`);
    expect(dataOf(events, 'AiResponseGenerated')).toHaveLength(1);
    expect(dataOf(events, 'ReplyWithheld')).toEqual([{ kind: 'answer', reason: 'opted_out' }]);
    expect(dataOf(events, 'ReplySent')).toHaveLength(0);
  });

  it('given a task waiting for ops and the person opts out meanwhile, then the retry answers nothing and says why', async () => {
    const from = nextPhone();
    stack.openai.knobs.failAlways(401);
    const question = await stack.sendSms({ from, body: 'What is the capital of Ghana?' });
    await untilStep(stack, question.sid, 'needs_attention');
    await textAndWait(stack, from, 'STOP');
    stack.openai.knobs.heal();

    await stack.handle(question.sid).signal('retry', { requestedBy: 'test' });
    expect(await stack.handle(question.sid).result()).toEqual({ outcome: 'opted_out' });
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual([STOP_CONFIRMATION]);
    const events = await stack.events(`sms-${question.sid}`);
    expect(dataOf(events, 'TaskCompleted')).toEqual([{ outcome: 'opted_out', processingMs: expect.any(Number) }]);
    // The retry round stops at the opted-out check: no model call, nothing sent
    expect(stack.openai.requests.filter((r) => r.status === 200)).toHaveLength(0);
  });

  it('given a model and its fallback both timing out, then 3 paid calls in all (AI_MAX_CALLS_PER_SMS), taking turns', async () => {
    const from = nextPhone();
    stack.openai.knobs.failAlways(504);
    const sent = await stack.sendSms({ from, body: CODING_QUESTION });
    await untilStep(stack, sent.sid, 'needs_attention', 60_000);
    expect(stack.openai.requests.map((r) => r.model)).toEqual(['gpt-4o', 'gpt-4o-mini', 'gpt-4o']);
    const [failed] = dataOf(await stack.events(`sms-${sent.sid}`), 'TaskFailed');
    expect(failed).toMatchObject({ step: 'ai', errorType: 'AiCallsExhausted' });
    await stack.handle(sent.sid).terminate('test done');
  });

  it('given a model answer with a run of 1,000 combining marks, then it is sent in parts that fit, not failed', async () => {
    const from = nextPhone();
    stack.openai.knobs.reply = `Z${'\u0301'.repeat(1000)} is what you asked for.`;
    const { outcome } = await textAndWait(stack, from, 'Show me zalgo text');
    expect(outcome).toBe('answered');
    const [reply] = repliesTo(stack, from);
    expect(measure(reply?.body ?? '').segments).toBeLessThanOrEqual(3);
  });
});
