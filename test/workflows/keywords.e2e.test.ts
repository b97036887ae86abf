import { describe, expect, it } from 'vitest';
import { HELP_TEXT, RESET_CONFIRMATION, START_CONFIRMATION, STOP_CONFIRMATION } from '../../domain/sms/keywords.js';
import { contentText } from '../fakes/openai.js';
import { useSmsStack } from '../support/sms-stack.js';
import { dataOf, nextPhone, repliesTo, textAndWait, types } from './helpers.js';

describe('smsTask keywords and conversation memory', () => {
  const stack = useSmsStack();

  /** The chat messages of the n-th AI request, without the system prompt. */
  const turnsSent = (n: number) =>
    (stack.openai.requests[n]?.messages ?? [])
      .filter((m) => m.role !== 'system')
      .map((m) => ({ role: m.role, content: contentText(m) }));

  it('STOP opts out with one confirmation; later questions get no AI call and no reply; START opts back in', async () => {
    const from = nextPhone();
    // Given a person who asked once
    await textAndWait(stack, from, 'What is the tallest mountain?');

    // When they text STOP
    const stop = await textAndWait(stack, from, 'Stop.');
    expect(stop.outcome).toBe('keyword');
    expect(types(await stack.events(`sms-${stop.sid}`))).toEqual([
      'SmsReceived',
      'KeywordDetected',
      'ReplyIntentRecorded',
      'ReplySent',
      'TaskCompleted',
    ]);
    expect(dataOf(await stack.events(`sms-${stop.sid}`), 'KeywordDetected')).toEqual([
      { keyword: 'STOP', word: 'Stop' },
    ]);
    expect(dataOf(await stack.events(`user-${from}`), 'UserOptedOut')).toEqual([
      { source: 'keyword', messageSid: stop.sid },
    ]);
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual([expect.any(String), STOP_CONFIRMATION]);

    // Then a question is not answered at all
    stack.openai.reset();
    const question = await textAndWait(stack, from, 'What is the deepest lake?');
    expect(question.outcome).toBe('opted_out');
    expect(stack.openai.requests).toHaveLength(0);
    expect(repliesTo(stack, from)).toHaveLength(2);
    expect(types(await stack.events(`sms-${question.sid}`))).toEqual(['SmsReceived', 'TaskCompleted']);

    // When they text START, they are confirmed and answered again
    const start = await textAndWait(stack, from, 'START');
    expect(start.outcome).toBe('keyword');
    expect(repliesTo(stack, from).at(-1)?.body).toBe(START_CONFIRMATION);
    expect(dataOf(await stack.events(`user-${from}`), 'UserOptedIn')).toEqual([{ messageSid: start.sid }]);

    const again = await textAndWait(stack, from, 'What is the deepest lake?');
    expect(again.outcome).toBe('answered');
    expect(stack.openai.requests).toHaveLength(1);
    expect(repliesTo(stack, from)).toHaveLength(4);
  });

  it('STOP from someone already opted out is not confirmed again, nor is HELP answered', async () => {
    const from = nextPhone();
    await textAndWait(stack, from, 'STOP');
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual([STOP_CONFIRMATION]);

    const again = await textAndWait(stack, from, 'stop');
    expect(again.outcome).toBe('opted_out');
    expect((await textAndWait(stack, from, 'HELP')).outcome).toBe('opted_out');
    expect(repliesTo(stack, from)).toHaveLength(1);
  });

  it('HELP answers with the help text and takes no quota unit, only one of the keyword quota', async () => {
    const from = nextPhone();
    const help = await textAndWait(stack, from, 'help');
    expect(help.outcome).toBe('keyword');
    expect(repliesTo(stack, from).map((m) => m.body)).toEqual([HELP_TEXT]);
    expect(types(await stack.events(`user-${from}`))).toEqual(['UserRegistered', 'KeywordReplyCounted']);
    const [sent] = dataOf(await stack.events(`sms-${help.sid}`), 'ReplySent');
    expect(sent).toMatchObject({ kind: 'keyword', encoding: 'GSM-7', hasMore: false });
    expect(stack.openai.requests).toHaveLength(0);
  });

  it('remembers the conversation: the second question carries the first turn', async () => {
    const from = nextPhone();
    stack.openai.knobs.reply = (request) =>
      request.messages.length > 2 ? 'About 8,849 metres.' : 'Mount Everest is the tallest mountain.';
    await textAndWait(stack, from, 'What is the tallest mountain?');
    await textAndWait(stack, from, 'How tall is it?');

    expect(turnsSent(0)).toEqual([{ role: 'user', content: 'What is the tallest mountain?' }]);
    expect(turnsSent(1)).toEqual([
      { role: 'user', content: 'What is the tallest mountain?' },
      { role: 'assistant', content: 'Mount Everest is the tallest mountain.' },
      { role: 'user', content: 'How tall is it?' },
    ]);
  });

  it('RESET clears the memory: the next AI request carries no earlier turns', async () => {
    const from = nextPhone();
    await textAndWait(stack, from, 'What is the longest river?');
    await textAndWait(stack, from, 'How long is it?');
    expect(turnsSent(1)).toHaveLength(3);

    const reset = await textAndWait(stack, from, 'RESET');
    expect(reset.outcome).toBe('keyword');
    expect(repliesTo(stack, from).at(-1)?.body).toBe(RESET_CONFIRMATION);
    expect(dataOf(await stack.events(`user-${from}`), 'ConversationReset')).toEqual([{ messageSid: reset.sid }]);

    await textAndWait(stack, from, 'Which ocean is the largest?');
    expect(stack.openai.requests).toHaveLength(3);
    expect(turnsSent(2)).toEqual([{ role: 'user', content: 'Which ocean is the largest?' }]);
  });

  it('a keyword inside a sentence is a question, not a keyword', async () => {
    const from = nextPhone();
    const question = await textAndWait(stack, from, 'How do I stop a runaway process?');
    expect(question.outcome).toBe('answered');
    expect(dataOf(await stack.events(`user-${from}`), 'UserOptedOut')).toEqual([]);
  });
});
