import { describe, expect, it } from 'vitest';
import { DEMO_LABEL, DEMO_MODEL } from '../../activities/demo-model.js';
import { useSmsStack } from '../support/sms-stack.js';

/** The whole pipeline with no OPENAI_* variable: the worker's AI step is the demo model. */
describe('smsTask with no AI configured', () => {
  const stack = useSmsStack({ OPENAI_API_KEY: '', OPENAI_BASE_URL: '', OPENAI_FALLBACK_MODEL: '' });

  const aiData = async (sid: string) =>
    (await stack.events(`sms-${sid}`)).find((e) => e.type === 'AiResponseGenerated')?.data as Record<string, unknown>;

  it('answers with the demo model: labelled, tokens 0, cost 0, outcome answered, no call to any AI endpoint', async () => {
    const from = '+14155550177';
    const first = await stack.sendSms({ from, body: 'How do I reverse a list in Python?' });
    expect(await stack.handle(first.sid).result()).toEqual({ outcome: 'answered' });
    expect(await aiData(first.sid)).toMatchObject({
      model: DEMO_MODEL,
      fallbackUsed: false,
      promptTokens: 0,
      completionTokens: 0,
      costUsd: 0,
    });
    const reply = stack.twilio.messages.at(-1)?.body ?? '';
    expect(reply.startsWith(DEMO_LABEL)).toBe(true);
    expect(reply).toContain('Category: coding.');

    // The conversation memory reaches it: the second answer refers to the first question.
    const second = await stack.sendSms({ from, body: 'And in JavaScript?' });
    expect(await stack.handle(second.sid).result()).toEqual({ outcome: 'answered' });
    expect(stack.twilio.messages.at(-1)?.body).toContain('Before that you asked: "How do I reverse a list in Python?"');
    expect(stack.openai.requests).toHaveLength(0);
  });

  it('a long answer asked for is cut to the budget, and MORE sends the next part', async () => {
    const from = '+14155550178';
    const long = await stack.sendSms({ from, body: 'Explain event sourcing in detail please' });
    expect(await stack.handle(long.sid).result()).toEqual({ outcome: 'answered' });
    const firstPart = stack.twilio.messages.at(-1)?.body ?? '';
    expect(firstPart).toContain('Text MORE for the rest');
    const more = await stack.sendSms({ from, body: 'MORE' });
    expect(await stack.handle(more.sid).result()).toEqual({ outcome: 'keyword' });
    const nextPart = (stack.twilio.messages.at(-1)?.body ?? '').replace('\n(Text MORE for the rest)', '');
    const whole = (await aiData(long.sid)).text as string;
    expect(whole.startsWith(firstPart.replace('\n(Text MORE for the rest)', ''))).toBe(true);
    expect(whole.indexOf(nextPart)).toBeGreaterThan(firstPart.length - 30);
  });
});
