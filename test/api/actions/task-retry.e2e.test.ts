import { describe, expect, it } from 'vitest';
import { newSid, useSmsStack } from '../../support/sms-stack.js';
import { dataOf, nextPhone, repliesTo, types, untilStep } from '../../workflows/helpers.js';
import { api, tokenFor, useProjections } from './helpers.js';

const QUESTION = 'What is the capital of Norway?';

describe('retrying failed tasks through the API', () => {
  const stack = useSmsStack();
  useProjections(stack, ['audit', 'error_logs']);

  /** Given: a task whose AI call was refused (401, not retried), now waiting in NEEDS_ATTENTION. */
  async function failedTask() {
    stack.openai.knobs.failAlways(401);
    const from = nextPhone();
    const sent = await stack.sendSms({ from, body: QUESTION });
    await untilStep(stack, sent.sid, 'needs_attention');
    return { sid: sent.sid, from };
  }

  it('a failed task retried once the AI heals: exactly one reply, and the audit trail shows who retried it', async () => {
    const { sid, from } = await failedTask();
    stack.openai.knobs.heal();

    const retried = await api(stack, 'POST', `/api/tasks/${sid}/retry`, { body: { reason: 'OpenAI key rotated' } });
    expect(retried).toMatchObject({ status: 200, body: { messageSid: sid, status: 'retried', round: 0 } });
    expect(await stack.handle(sid).result()).toEqual({ outcome: 'answered' });
    expect(repliesTo(stack, from)).toHaveLength(1);

    // The log says who asked (the API's event) and the workflow's own record names them too
    const events = await stack.events(`sms-${sid}`);
    expect(types(events).slice(0, 5)).toEqual([
      'SmsReceived',
      'TaskClassified',
      'TaskFailed',
      'TaskRetrySignalled',
      'TaskRetryRequested',
    ]);
    const signalled = events.find((e) => e.type === 'TaskRetrySignalled');
    expect(signalled?.metadata).toMatchObject({
      actor: { name: 'ADMIN_API_TOKEN', role: 'admin', kind: 'bootstrap' },
      reason: 'OpenAI key rotated',
    });
    expect(dataOf(events, 'TaskRetryRequested')).toEqual([{ requestedBy: 'ADMIN_API_TOKEN', round: 1 }]);

    // And GET /api/audit lists it once projected
    await expect
      .poll(async () => (await api(stack, 'GET', `/api/audit?action=TaskRetrySignalled`)).body.items, {
        timeout: 10_000,
        interval: 100,
      })
      .toContainEqual(
        expect.objectContaining({
          actorName: 'ADMIN_API_TOKEN',
          actorRole: 'admin',
          actorKind: 'bootstrap',
          action: 'TaskRetrySignalled',
          target: `sms-${sid}`,
          reason: 'OpenAI key rotated',
          details: { round: 0 },
        }),
      );

    // A second retry of the finished task is refused and records nothing
    const again = await api(stack, 'POST', `/api/tasks/${sid}/retry`, { body: {} });
    expect(again).toMatchObject({ status: 409, body: { error: 'ConflictError', statusCode: 409 } });
    expect(types(await stack.events(`sms-${sid}`)).filter((t) => t === 'TaskRetrySignalled')).toHaveLength(1);
  });

  it('409 for a task still working, 404 for no such task, 401 without credentials', async () => {
    stack.openai.knobs.latencyMs = 1_500;
    const sent = await stack.sendSms({ from: nextPhone(), body: QUESTION });
    await untilStep(stack, sent.sid, 'ai');
    expect((await api(stack, 'POST', `/api/tasks/${sent.sid}/retry`, { body: {} })).status).toBe(409);
    expect(await stack.handle(sent.sid).result()).toEqual({ outcome: 'answered' });

    const unknown = await api(stack, 'POST', `/api/tasks/${newSid()}/retry`, { body: {} });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'NotFoundError', statusCode: 404 } });
    expect((await api(stack, 'POST', `/api/tasks/${sent.sid}/retry`, { token: null, body: {} })).status).toBe(401);
    // Credentials are checked before the body: no 400 for a caller without any
    expect((await api(stack, 'POST', '/api/tasks/retry', { token: null, body: { messageSids: 'x' } })).status).toBe(
      401,
    );
    expect((await api(stack, 'PATCH', '/api/users/not-a-phone', { token: null, body: {} })).status).toBe(401);
    expect(
      (await api(stack, 'POST', '/api/tasks/retry', { token: null, body: { messageSids: [sent.sid] } })).status,
    ).toBe(401);
  });

  it('batch retry answers per task: retried, not waiting, not found', async () => {
    const waiting = await failedTask();
    stack.openai.knobs.heal();
    const done = await stack.sendSms({ from: nextPhone(), body: QUESTION });
    expect(await stack.handle(done.sid).result()).toEqual({ outcome: 'answered' });
    const missing = newSid();

    const batch = await api(stack, 'POST', '/api/tasks/retry', {
      body: { messageSids: [waiting.sid, done.sid, missing], reason: 'batch after outage' },
    });
    expect(batch).toMatchObject({
      status: 200,
      body: {
        results: [
          { messageSid: waiting.sid, status: 'retried', round: 0 },
          { messageSid: done.sid, status: 'not_waiting' },
          { messageSid: missing, status: 'not_found' },
        ],
      },
    });
    expect(await stack.handle(waiting.sid).result()).toEqual({ outcome: 'answered' });
    expect(repliesTo(stack, waiting.from)).toHaveLength(1);
    expect((await api(stack, 'POST', '/api/tasks/retry', { body: { messageSids: [] } })).status).toBe(400);
  });

  it('ops may retry; analysts get 403 and nothing is signalled', async () => {
    const { sid, from } = await failedTask();
    const analyst = await tokenFor(stack, 'analyst');
    const refused = await api(stack, 'POST', `/api/tasks/${sid}/retry`, { token: analyst, body: {} });
    expect(refused.status).toBe(403);
    expect(
      (await api(stack, 'POST', '/api/tasks/retry', { token: analyst, body: { messageSids: [sid] } })).status,
    ).toBe(403);
    expect(types(await stack.events(`sms-${sid}`))).not.toContain('TaskRetrySignalled');

    stack.openai.knobs.heal();
    const ops = await tokenFor(stack, 'ops');
    expect((await api(stack, 'POST', `/api/tasks/${sid}/retry`, { token: ops, body: {} })).status).toBe(200);
    expect(await stack.handle(sid).result()).toEqual({ outcome: 'answered' });
    expect(repliesTo(stack, from)).toHaveLength(1);
    const signalled = (await stack.events(`sms-${sid}`)).find((e) => e.type === 'TaskRetrySignalled');
    expect(signalled?.metadata.actor).toMatchObject({ role: 'ops', kind: 'token' });
  });
});
