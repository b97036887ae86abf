import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createReadModelQueries } from '../../../projections/queries.js';
import { useSmsStack } from '../../support/sms-stack.js';
import { nextPhone, untilStep } from '../../workflows/helpers.js';
import { api, tokenFor, useProjections } from './helpers.js';

describe('POST /api/errors/:id/resolve', () => {
  const stack = useSmsStack();
  useProjections(stack, ['error_logs', 'audit']);
  const errorsOf = async (sid: string) =>
    (await createReadModelQueries(stack.pool).listErrors({ messageSid: sid })).items;

  it('ops close a failure by hand: ErrorResolved with the actor, the error_logs row resolved, a second resolve 409', async () => {
    // Given a task refused by the AI (401), whose failure is in error_logs
    stack.openai.knobs.failAlways(401);
    const sent = await stack.sendSms({ from: nextPhone(), body: 'What is the capital of Norway?' });
    await untilStep(stack, sent.sid, 'needs_attention');
    await expect.poll(() => errorsOf(sent.sid), { timeout: 10_000 }).toHaveLength(1);
    const [error] = await errorsOf(sent.sid);
    expect(error?.resolved).toBe(false);
    const id = error?.id as string;

    // When ops resolve it
    const ops = await tokenFor(stack, 'ops');
    const resolved = await api(stack, 'POST', `/api/errors/${id}/resolve`, {
      token: ops,
      body: { reason: 'answered by phone' },
    });
    expect(resolved).toMatchObject({ status: 200, body: { id, taskMessageSid: sent.sid, resolved: true } });

    // Then the task's stream records who, the row is resolved, and the audit trail lists it
    const event = (await stack.events(`sms-${sent.sid}`)).find((e) => e.type === 'ErrorResolved');
    expect(event).toMatchObject({
      data: { errorId: id },
      metadata: { actor: { role: 'ops', kind: 'token' }, reason: 'answered by phone' },
    });
    await expect
      .poll(async () => (await errorsOf(sent.sid))[0], { timeout: 10_000 })
      .toMatchObject({ resolved: true, resolvedAt: event?.metadata.occurredAt });
    await expect
      .poll(async () => (await api(stack, 'GET', '/api/audit?action=ErrorResolved')).body.items, { timeout: 10_000 })
      .toContainEqual(
        expect.objectContaining({ target: `sms-${sent.sid}`, actorRole: 'ops', details: { errorId: id } }),
      );

    const again = await api(stack, 'POST', `/api/errors/${id}/resolve`);
    expect(again).toMatchObject({ status: 409, body: { error: 'ConflictError' } });
    await stack.handle(sent.sid).terminate('test done');
  });

  it('404 for no such error, 400 for a malformed id, 401 without credentials, 403 for analysts', async () => {
    expect((await api(stack, 'POST', `/api/errors/${randomUUID()}/resolve`)).status).toBe(404);
    expect((await api(stack, 'POST', '/api/errors/not-a-uuid/resolve')).status).toBe(400);
    expect((await api(stack, 'POST', `/api/errors/${randomUUID()}/resolve`, { token: null })).status).toBe(401);
    const analyst = await tokenFor(stack, 'analyst');
    expect((await api(stack, 'POST', `/api/errors/${randomUUID()}/resolve`, { token: analyst })).status).toBe(403);
  });
});
