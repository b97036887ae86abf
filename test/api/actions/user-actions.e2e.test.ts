import { describe, expect, it } from 'vitest';
import { appendEvents } from '../../../activities/event-log.js';
import { userStream } from '../../../domain/events/envelope.js';
import { createReadModelQueries } from '../../../projections/queries.js';
import { useSmsStack } from '../../support/sms-stack.js';
import { nextPhone, repliesTo, textAndWait } from '../../workflows/helpers.js';
import { call, login, newAccount } from '../auth/helpers.js';
import { api, tokenFor, useProjections } from './helpers.js';

describe('changing a person through the API', () => {
  const stack = useSmsStack();
  useProjections(stack, ['users', 'audit']);
  const readModels = () => createReadModelQueries(stack.pool);

  /** Given: a person who has texted before (UserRegistered, as the workflow appends it). */
  async function knownPerson() {
    const phone = nextPhone();
    await appendEvents(
      stack.store,
      userStream(phone),
      [
        {
          type: 'UserRegistered',
          step: 'registered',
          data: { phone, tier: 'free', registeredAt: new Date().toISOString() },
        },
      ],
      { correlationId: `test-${phone}`, round: 0, now: new Date() },
      'no_stream',
    );
    return phone;
  }

  const lastEvent = async (phone: string) => (await stack.events(userStream(phone))).at(-1);

  it('PATCH /api/users/:phone appends TierChanged with the actor; the users row and the audit trail follow', async () => {
    const phone = await knownPerson();
    const changed = await api(stack, 'PATCH', `/api/users/${encodeURIComponent(phone)}`, {
      body: { tier: 'premium', reason: 'paid invoice 42' },
    });
    expect(changed).toMatchObject({ status: 200, body: { phone, action: 'TierChanged', tier: 'premium' } });

    const event = await lastEvent(phone);
    expect(event).toMatchObject({
      type: 'TierChanged',
      data: { tier: 'premium', changedBy: 'ADMIN_API_TOKEN' },
      metadata: { actor: { name: 'ADMIN_API_TOKEN', role: 'admin', kind: 'bootstrap' }, reason: 'paid invoice 42' },
    });
    await expect.poll(async () => (await readModels().getUser(phone))?.tier, { timeout: 10_000 }).toBe('premium');
    await expect
      .poll(async () => (await api(stack, 'GET', `/api/audit?action=TierChanged`)).body.items, { timeout: 10_000 })
      .toContainEqual(
        expect.objectContaining({
          target: `user-${phone}`,
          actorName: 'ADMIN_API_TOKEN',
          reason: 'paid invoice 42',
          details: { tier: 'premium', changedBy: 'ADMIN_API_TOKEN' },
        }),
      );
  });

  it('an unknown number is a 404 that creates nothing and does not echo the number; a bad tier is a 400', async () => {
    const phone = nextPhone();
    const missing = await api(stack, 'PATCH', `/api/users/${encodeURIComponent(phone)}`, { body: { tier: 'premium' } });
    expect(missing).toMatchObject({ status: 404, body: { error: 'NotFoundError', statusCode: 404 } });
    expect(missing.body.message).not.toContain(phone);
    expect(await stack.events(userStream(phone))).toEqual([]);
    expect((await api(stack, 'POST', `/api/users/${encodeURIComponent(phone)}/opt-out`, { body: {} })).status).toBe(
      404,
    );

    const known = await knownPerson();
    const bad = await api(stack, 'PATCH', `/api/users/${encodeURIComponent(known)}`, { body: { tier: 'platinum' } });
    expect(bad.status).toBe(400);
    expect((await api(stack, 'PATCH', '/api/users/12345', { body: { tier: 'free' } })).status).toBe(400);
    expect((await lastEvent(known))?.type).toBe('UserRegistered');
  });

  it('opt-out by ops stops the answers; opt-in brings them back; both carry the actor', async () => {
    const phone = await knownPerson();
    const ops = await tokenFor(stack, 'ops');

    const out = await api(stack, 'POST', `/api/users/${encodeURIComponent(phone)}/opt-out`, {
      token: ops,
      body: { reason: 'asked by email' },
    });
    expect(out).toMatchObject({ status: 200, body: { phone, action: 'UserOptedOut' } });
    expect(await lastEvent(phone)).toMatchObject({
      type: 'UserOptedOut',
      data: { source: 'admin' },
      metadata: { actor: { role: 'ops', kind: 'token' }, reason: 'asked by email' },
    });
    await textAndWait(stack, phone, 'What is the capital of Norway?');
    expect(repliesTo(stack, phone)).toHaveLength(0);
    await expect.poll(async () => (await readModels().getUser(phone))?.optedOut, { timeout: 10_000 }).toBe(true);

    const back = await api(stack, 'POST', `/api/users/${encodeURIComponent(phone)}/opt-in`, { token: ops });
    expect(back).toMatchObject({ status: 200, body: { phone, action: 'UserOptedIn' } });
    expect(await lastEvent(phone)).toMatchObject({ type: 'UserOptedIn', metadata: { actor: { role: 'ops' } } });
    await textAndWait(stack, phone, 'What is the capital of Norway?');
    expect(repliesTo(stack, phone)).toHaveLength(1);
  });

  it('401 without credentials; ops cannot change a tier; analysts cannot opt anyone out or in', async () => {
    const phone = await knownPerson();
    const path = `/api/users/${encodeURIComponent(phone)}`;
    expect((await api(stack, 'PATCH', path, { token: null, body: { tier: 'premium' } })).status).toBe(401);
    expect((await api(stack, 'POST', `${path}/opt-out`, { token: null, body: {} })).status).toBe(401);
    expect((await api(stack, 'POST', `${path}/opt-in`, { token: null, body: {} })).status).toBe(401);
    const ops = await tokenFor(stack, 'ops');
    const analyst = await tokenFor(stack, 'analyst');
    expect((await api(stack, 'PATCH', path, { token: ops, body: { tier: 'premium' } })).status).toBe(403);
    expect((await api(stack, 'POST', `${path}/opt-out`, { token: analyst, body: {} })).status).toBe(403);
    expect((await api(stack, 'POST', `${path}/opt-in`, { token: analyst, body: {} })).status).toBe(403);
    expect((await lastEvent(phone))?.type).toBe('UserRegistered');
  });

  it('a signed-in ops person opts someone out with the session cookie and its CSRF token; the event names them', async () => {
    const phone = await knownPerson();
    const account = await newAccount(stack, 'ops');
    const { cookie } = await login(stack, account.email, account.password);
    const me = await call(stack, 'GET', '/api/auth/me', { cookie });
    const csrf = me.body?.csrfToken as string;
    const path = `/api/users/${encodeURIComponent(phone)}/opt-out`;

    expect((await call(stack, 'POST', path, { cookie, body: {} })).status).toBe(403);
    expect((await call(stack, 'POST', path, { cookie, csrf, body: { reason: 'by phone' } })).status).toBe(200);
    expect(await lastEvent(phone)).toMatchObject({
      type: 'UserOptedOut',
      metadata: { actor: { name: account.email, role: 'ops', kind: 'session' }, reason: 'by phone' },
    });
  });
});
