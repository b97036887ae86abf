import { describe, expect, it } from 'vitest';
import { appendEvents } from '../../../activities/event-log.js';
import { humanReplyStream, userStream } from '../../../domain/events/envelope.js';
import { HELP_TEXT, STOP_CONFIRMATION } from '../../../domain/sms/keywords.js';
import type { HumanReplyResult } from '../../../workflows/types.js';
import { useSmsStack } from '../../support/sms-stack.js';
import { dataOf, nextPhone, repliesTo, textAndWait, untilStep } from '../../workflows/helpers.js';
import { api, tokenFor, useProjections } from './helpers.js';

describe('a person takes over a conversation', () => {
  const stack = useSmsStack();
  useProjections(stack, ['users', 'messages', 'audit']);

  const at = (phone: string, path = '') => `/api/users/${encodeURIComponent(phone)}${path}`;

  /** Given: someone who asked once and was answered by the AI (their users row projected). */
  async function answeredPerson() {
    const phone = nextPhone();
    expect((await textAndWait(stack, phone, 'What is the capital of Peru?')).outcome).toBe('answered');
    await expect.poll(async () => (await api(stack, 'GET', at(phone))).status, { timeout: 10_000 }).toBe(200);
    stack.openai.reset();
    return phone;
  }

  interface Detail {
    takeover: { by: string; until: string } | null;
    conversation: { items: Record<string, unknown>[] };
  }
  const detail = async (phone: string) => (await api(stack, 'GET', at(phone))).body as unknown as Detail;
  const thread = async (phone: string) => (await detail(phone)).conversation.items;

  async function humanReply(phone: string, text: string, token?: string) {
    const accepted = await api(stack, 'POST', at(phone, '/messages'), { body: { text }, token });
    expect(accepted.status).toBe(202);
    const { replyId, workflowId } = accepted.body as { replyId: string; workflowId: string };
    expect(workflowId).toBe(`reply-${replyId}`);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as HumanReplyResult;
    return { replyId, result };
  }

  it('while taken over: SMS recorded and shown, no AI; a human reply goes out once (a lost Twilio answer is reconciled) with its author in the log and the audit trail; release brings the AI back', async () => {
    const phone = await answeredPerson();
    const ops = await tokenFor(stack, 'ops');

    // When ops take over
    const taken = await api(stack, 'POST', at(phone, '/takeover'), { token: ops, body: { reason: 'upset customer' } });
    expect(taken).toMatchObject({ status: 200, body: { phone, action: 'ConversationTakenOver' } });
    const takeover = taken.body.takeover as { by: string; since: string; until: string; reason: string };
    expect(takeover).toMatchObject({ by: expect.stringMatching(/^ops-/), reason: 'upset customer' });
    expect(Date.parse(takeover.until) - Date.parse(takeover.since)).toBe(24 * 3600_000);
    expect((await stack.events(userStream(phone))).at(-1)?.metadata).toMatchObject({
      actor: { name: takeover.by, role: 'ops' },
      reason: 'upset customer',
    });
    // And again: refused, not extended
    const again = await api(stack, 'POST', at(phone, '/takeover'), { body: {} });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(takeover.by);

    // Then a question gets no AI answer but is recorded and shows in the conversation
    const question = await textAndWait(stack, phone, 'Are you still there?');
    expect(question.outcome).toBe('taken_over');
    expect(stack.openai.requests).toHaveLength(0);
    expect(repliesTo(stack, phone)).toHaveLength(1);
    expect(dataOf(await stack.events(`sms-${question.sid}`), 'TaskCompleted')).toEqual([
      expect.objectContaining({ outcome: 'taken_over' }),
    ]);
    await expect
      .poll(async () => (await thread(phone)).map((m) => m.body), { timeout: 10_000 })
      .toContain('Are you still there?');
    expect((await detail(phone)).takeover).toMatchObject({ by: takeover.by, until: takeover.until });

    // When ops write a reply and Twilio's answer to the send is lost (the message went out)
    stack.twilio.knobs.loseResponseNext(1);
    const text = 'Hi, this is Sam from support. Sorry about that, I am on it.';
    const { replyId, result } = await humanReply(phone, text, ops);

    // Then it reached Twilio once, recorded as a human reply with its author
    expect(result).toMatchObject({ status: 'sent', segments: 1 });
    const sentToPhone = repliesTo(stack, phone).filter((m) => m.body === text);
    expect(sentToPhone).toHaveLength(1);
    const events = await stack.events(humanReplyStream(replyId));
    expect(events.map((e) => e.type)).toEqual(['ReplyIntentRecorded', 'ReplySent']);
    expect(dataOf(events, 'ReplySent')).toEqual([
      expect.objectContaining({ kind: 'human', by: takeover.by, to: phone, providerMessageSid: sentToPhone[0]?.sid }),
    ]);
    expect(events[1]?.metadata.actor).toMatchObject({ name: takeover.by, role: 'ops' });

    // And Twilio's status callback finds the reply's stream; the thread shows it delivered, by a person
    expect((await stack.twilio.deliverStatus(sentToPhone[0]?.sid as string, 'delivered')).status).toBe(204);
    expect(dataOf(await stack.events(humanReplyStream(replyId)), 'DeliveryStatusUpdated')).toEqual([
      { providerMessageSid: sentToPhone[0]?.sid, status: 'delivered' },
    ]);
    await expect
      .poll(async () => (await thread(phone)).find((m) => m.body === text), { timeout: 10_000 })
      .toMatchObject({ direction: 'out', kind: 'human', deliveryStatus: 'delivered', taskMessageSid: null });
    // And the audit trail has the takeover and the reply
    await expect
      .poll(async () => (await api(stack, 'GET', '/api/audit?action=ReplySent')).body.items, { timeout: 10_000 })
      .toContainEqual(
        expect.objectContaining({ target: `reply-${replyId}`, actorName: takeover.by, actorRole: 'ops' }),
      );
    await expect
      .poll(async () => (await api(stack, 'GET', '/api/audit?action=ConversationTakenOver')).body.items, {
        timeout: 10_000,
      })
      .toContainEqual(expect.objectContaining({ target: `user-${phone}`, reason: 'upset customer' }));

    // When released (once: a second release is a 409), the AI answers again
    expect((await api(stack, 'POST', at(phone, '/release'), { token: ops })).body).toEqual({
      phone,
      action: 'ConversationReleased',
    });
    expect((await api(stack, 'POST', at(phone, '/release'))).status).toBe(409);
    expect((await detail(phone)).takeover).toBeNull();
    expect((await textAndWait(stack, phone, 'What is the capital of Chile?')).outcome).toBe('answered');
    expect(stack.openai.requests).toHaveLength(1);
  });

  it('keywords still work while taken over: HELP is answered, STOP opts out; a human reply to an opted-out person is a 409 and sends nothing', async () => {
    const phone = await answeredPerson();
    expect((await api(stack, 'POST', at(phone, '/takeover'))).status).toBe(200);

    expect((await textAndWait(stack, phone, 'help')).outcome).toBe('keyword');
    expect((await textAndWait(stack, phone, 'STOP')).outcome).toBe('keyword');
    expect(
      repliesTo(stack, phone)
        .map((m) => m.body)
        .slice(1),
    ).toEqual([HELP_TEXT, STOP_CONFIRMATION]);
    expect(dataOf(await stack.events(userStream(phone)), 'UserOptedOut')).toHaveLength(1);
    expect(stack.openai.requests).toHaveLength(0);

    const refused = await api(stack, 'POST', at(phone, '/messages'), { body: { text: 'Are you sure?' } });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('opted out');
    expect(refused.body.message).not.toContain(phone);
    expect(repliesTo(stack, phone)).toHaveLength(3);
  });

  it('a takeover expires by time alone: given one ending in 2 s, the AI answers once it has passed', async () => {
    const phone = await answeredPerson();
    // Given a takeover with a short until (as the API would append it, with TAKEOVER_HOURS tiny)
    const until = new Date(Date.now() + 2_000).toISOString();
    await appendEvents(
      stack.store,
      userStream(phone),
      [{ type: 'ConversationTakenOver', step: 'given-takeover', data: { by: 'sam@example.com', until } }],
      { correlationId: `test-${phone}`, round: 0, now: new Date() },
    );
    expect((await textAndWait(stack, phone, 'Hello?')).outcome).toBe('taken_over');

    // When the until has passed
    await expect.poll(() => Date.now(), { timeout: 5_000 }).toBeGreaterThan(Date.parse(until));
    // Then no takeover shows, release has nothing to release, and the AI answers
    expect((await detail(phone)).takeover).toBeNull();
    expect((await api(stack, 'POST', at(phone, '/release'))).status).toBe(409);
    expect((await textAndWait(stack, phone, 'What is the capital of Chile?')).outcome).toBe('answered');
    expect(stack.openai.requests).toHaveLength(1);
  });

  it('given the AI is answering when ops take over, then its answer is withheld, not sent', async () => {
    const phone = await answeredPerson();
    stack.openai.knobs.latencyMs = 2_000;
    const sent = await stack.sendSms({ from: phone, body: 'Tell me a long story about trains.' });
    await untilStep(stack, sent.sid, 'ai');

    expect((await api(stack, 'POST', at(phone, '/takeover'))).status).toBe(200);

    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'taken_over' });
    expect(stack.openai.requests).toHaveLength(1);
    expect(repliesTo(stack, phone)).toHaveLength(1);
    const events = await stack.events(`sms-${sent.sid}`);
    expect(dataOf(events, 'ReplyWithheld')).toEqual([{ kind: 'answer', reason: 'taken_over' }]);
    expect(dataOf(events, 'ReplySent')).toEqual([]);
    // Nothing the person did not get goes into the conversation memory
    const user = await stack.events(userStream(phone));
    expect(dataOf(user, 'ConversationTurnRecorded')).toHaveLength(1);
    // The answer was paid for all the same: its cost closes the reservation, once
    const cost = dataOf(events, 'AiResponseGenerated')[0]?.costUsd;
    expect(cost).toBeGreaterThan(0);
    expect(dataOf(user, 'SpendRecorded').filter((d) => d.messageSid === sent.sid)).toEqual([
      { messageSid: sent.sid, costUsd: cost, at: expect.any(String) },
    ]);
  });

  it('a human reply is allowed without a takeover; the AI goes on answering', async () => {
    const phone = await answeredPerson();
    const { result } = await humanReply(phone, 'We have a new feature: ask me anything about trains!');
    expect(result.status).toBe('sent');
    expect((await textAndWait(stack, phone, 'Which is the fastest train?')).outcome).toBe('answered');
  });

  it('roles and bad input: 401 without credentials, 403 for analysts, 400 for bad text or number, 404 for an unknown number', async () => {
    const phone = await answeredPerson();
    const analyst = await tokenFor(stack, 'analyst');
    for (const path of ['/takeover', '/release', '/messages']) {
      const body = path === '/messages' ? { text: 'hi' } : {};
      expect((await api(stack, 'POST', at(phone, path), { token: null, body })).status).toBe(401);
      expect((await api(stack, 'POST', at(phone, path), { token: analyst, body })).status).toBe(403);
    }
    for (const body of [{}, { text: '' }, { text: '   \n ' }, { text: 'x'.repeat(1601) }]) {
      expect((await api(stack, 'POST', at(phone, '/messages'), { body })).status).toBe(400);
    }
    expect((await api(stack, 'POST', at(phone, '/takeover'), { body: { reason: 'r'.repeat(501) } })).status).toBe(400);
    expect((await api(stack, 'POST', '/api/users/12345/takeover', { body: {} })).status).toBe(400);

    const stranger = nextPhone();
    for (const path of ['/takeover', '/release']) {
      const missing = await api(stack, 'POST', at(stranger, path), { body: {} });
      expect(missing.status).toBe(404);
      expect(missing.body.message).not.toContain(stranger);
    }
    expect((await api(stack, 'POST', at(stranger, '/messages'), { body: { text: 'hi' } })).status).toBe(404);
    // Nothing was created, taken over or sent
    expect(await stack.events(userStream(stranger))).toEqual([]);
    expect(stack.twilio.messages.filter((m) => m.to === stranger)).toEqual([]);
    expect(dataOf(await stack.events(userStream(phone)), 'ConversationTakenOver')).toEqual([]);
  });
});
