import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { maskPhone } from '../../domain/phone.js';
import { AGENT_CONFIRMATION } from '../../domain/sms/keywords.js';
import { type RunningServer, sendJson, startServer } from '../fakes/http.js';
import { type SmsStack, startSmsStack } from '../support/sms-stack.js';
import { dataOf, nextPhone, repliesTo, textAndWait } from './helpers.js';

describe('a texter asks for a person (AGENT keyword)', () => {
  let stack: SmsStack;
  let alertHook: RunningServer;
  /** What the alert webhook (ALERT_WEBHOOK_URL) received. */
  const alerts: { title: string; text: string; workflowId: string; fields: Record<string, string> }[] = [];
  beforeAll(async () => {
    alertHook = await startServer(async (_req, res, body) => {
      alerts.push(JSON.parse(body));
      sendJson(res, 200, { ok: true });
    });
    stack = await startSmsStack({
      ALERT_WEBHOOK_URL: `${alertHook.origin}/alerts`,
      AGENT_KEYWORDS: 'agent,human',
      KEYWORD_REPLIES_PER_HOUR: '2',
    });
  });
  afterAll(async () => {
    await stack?.close();
    await alertHook?.close();
  });
  beforeEach(() => {
    stack.twilio.reset();
    stack.openai.reset();
    alerts.length = 0;
  });

  it('alerts ops with the masked number and answers that a person will reply; nothing is taken over, no AI call', async () => {
    const from = nextPhone();
    const { sid, outcome } = await textAndWait(stack, from, 'Agent!');

    expect(outcome).toBe('keyword');
    expect(dataOf(await stack.events(`sms-${sid}`), 'KeywordDetected')).toEqual([{ keyword: 'AGENT', word: 'Agent' }]);
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual([AGENT_CONFIRMATION]);
    expect(alerts).toEqual([
      expect.objectContaining({
        workflowId: `sms-${sid}`,
        title: `${maskPhone(from)} asks for a person`,
        fields: { from: maskPhone(from), keyword: 'AGENT' },
      }),
    ]);
    expect(JSON.stringify(alerts)).not.toContain(from);
    expect(stack.openai.requests).toHaveLength(0);
    expect(dataOf(await stack.events(`user-${from}`), 'ConversationTakenOver')).toEqual([]);

    // The next question is answered by the AI as before
    expect((await textAndWait(stack, from, 'What is the capital of Peru?')).outcome).toBe('answered');
  });

  it('is metered like HELP: past the keyword quota, no alert and no answer', async () => {
    const from = nextPhone();
    for (const word of ['human', 'AGENT']) expect((await textAndWait(stack, from, word)).outcome).toBe('keyword');
    expect(alerts).toHaveLength(2);

    const third = await textAndWait(stack, from, 'agent');
    expect(third.outcome).toBe('keyword');
    expect(alerts).toHaveLength(2);
    expect(repliesTo(stack, from)).toHaveLength(2);
    expect(dataOf(await stack.events(`sms-${third.sid}`), 'ReplyWithheld')).toEqual([
      { kind: 'keyword', reason: 'keyword_limit' },
    ]);
  });
});
