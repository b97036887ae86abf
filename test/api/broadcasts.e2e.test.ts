import { describe, expect, it } from 'vitest';
import { appendEvents } from '../../activities/event-log.js';
import { userStream } from '../../domain/events/envelope.js';
import { maskPhone } from '../../domain/phone.js';
import { useSmsStack } from '../support/sms-stack.js';
import {
  broadcastHandle,
  deliveries,
  givenOptedOut,
  phoneBlock,
  startBroadcast,
  untilBroadcast,
} from '../workflows/broadcast-helpers.js';
import { dataOf, eventually, textAndWait } from '../workflows/helpers.js';
import { api, tokenFor, useProjections } from './actions/helpers.js';

const GSM_200 = `${'Our service gets faster answers and a new number from Monday. '.repeat(3)}Reply STOP to opt out.`;
const UCS2_TEXT = 'Bonne année 🎉 Merci de votre fidélité !';

describe('the broadcasts API', () => {
  const stack = useSmsStack({ BROADCAST_RATE_PER_SECOND: '2' });
  useProjections(stack, ['users', 'broadcasts', 'audit']);

  const broadcastEvents = async () =>
    Number(
      (await stack.pool.query(`SELECT count(*) FROM public.events WHERE event_type LIKE 'Broadcast%'`)).rows[0]
        ?.count ?? 0,
    );

  /** Given: people who texted before, on a tier (appended as the workflow and the admin API do). */
  async function givenUser(phone: string, tier: 'free' | 'premium') {
    const drafts = [
      {
        type: 'UserRegistered' as const,
        step: 'registered',
        data: { phone, tier: 'free' as const, registeredAt: new Date().toISOString() },
      },
      ...(tier === 'premium'
        ? [{ type: 'TierChanged' as const, step: 'tier', data: { tier: 'premium' as const, changedBy: 'test' } }]
        : []),
    ];
    await appendEvents(stack.store, userStream(phone), drafts, {
      correlationId: `test-${phone}`,
      round: 0,
      now: new Date(),
    });
  }

  it('a dry run answers the audience, opt-outs, encoding and segments, and records nothing', async () => {
    // Given a tier of three people, one opted out, and someone on another tier
    const [a, b, c, premium] = phoneBlock(4) as [string, string, string, string];
    await givenUser(a, 'free');
    await givenUser(c, 'free');
    await givenOptedOut(stack, b);
    await givenUser(premium, 'premium');
    const free = await eventually(
      async () => (await api(stack, 'GET', '/api/users?tier=free&limit=500')).body.items as { phone: string }[],
      (items) => [a, b, c].every((p) => items.some((u) => u.phone === p)),
    );
    const freeCount = free.length;
    const optedOutFree = (await api(stack, 'GET', '/api/users?tier=free&optedOut=true&limit=500')).body.items as [];
    const before = await broadcastEvents();

    // GSM-7, 200 characters: 2 segments of 153
    const gsm = await api(stack, 'POST', '/api/broadcasts?dryRun=true', {
      body: { text: GSM_200, audience: { tier: 'free' } },
    });
    expect(gsm.status).toBe(200);
    const messages = freeCount - optedOutFree.length;
    expect(gsm.body).toEqual({
      dryRun: true,
      audienceSize: freeCount,
      optedOut: optedOutFree.length,
      unreplyable: 0,
      messages,
      encoding: 'GSM-7',
      characters: GSM_200.length,
      segmentsPerMessage: 2,
      totalSegments: messages * 2,
      ratePerSecond: 2,
      estimatedDurationSeconds: Math.ceil(messages / 2),
    });

    // UCS-2 (accents are GSM, the emoji is not): 1 segment up to 70 units; a list of numbers
    const ucs2 = await api(stack, 'POST', '/api/broadcasts?dryRun=true', {
      body: { text: UCS2_TEXT, audience: { phones: [a, b, '(212) 555-0187', a] } },
    });
    expect(ucs2.body).toMatchObject({
      audienceSize: 3,
      optedOut: 1,
      messages: 2,
      encoding: 'UCS-2',
      segmentsPerMessage: 1,
      totalSegments: 2,
      estimatedDurationSeconds: 1,
    });
    const long = await api(stack, 'POST', '/api/broadcasts?dryRun=true', {
      body: { text: UCS2_TEXT.repeat(3), audience: { tier: 'premium' } },
    });
    expect(long.body).toMatchObject({ encoding: 'UCS-2', segmentsPerMessage: 2 });

    expect(await broadcastEvents()).toBe(before);
    expect(stack.twilio.messages).toHaveLength(0);
  });

  it('an admin starts a tier broadcast (202), follows its progress, and the audit trail says who', async () => {
    const [p1, p2] = phoneBlock(2) as [string, string];
    await givenUser(p1, 'premium');
    await givenUser(p2, 'premium');
    await eventually(
      async () => (await api(stack, 'GET', '/api/users?tier=premium&limit=500')).body.items as { phone: string }[],
      (items) => [p1, p2].every((p) => items.some((u) => u.phone === p)),
    );
    const text = 'Premium members: new models are live.';

    const started = await api(stack, 'POST', '/api/broadcasts', { body: { text, audience: { tier: 'premium' } } });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    expect(started.body).toMatchObject({ dryRun: false, workflowId: `broadcast-${id}`, encoding: 'GSM-7' });

    await broadcastHandle(stack, id).result();
    expect(deliveries(stack, text).get(p1)).toBe(1);
    expect(deliveries(stack, text).get(p2)).toBe(1);
    const row = await untilBroadcast(stack, id, (r) => r.state === 'completed');
    expect(row).toMatchObject({
      id,
      text,
      audience: { kind: 'tier', tier: 'premium' },
      startedBy: 'ADMIN_API_TOKEN',
      remaining: 0,
      segmentsPerMessage: 1,
    });
    expect(row.sent).toBe(row.total);

    const list = await api(stack, 'GET', '/api/broadcasts?limit=1');
    expect(list.body).toMatchObject({ items: [{ id }] });
    const audit = await eventually(
      async () =>
        (await api(stack, 'GET', '/api/audit?action=BroadcastStarted')).body.items as Record<string, unknown>[],
      (items) => items.some((i) => i.target === `broadcast-${id}`),
    );
    expect(audit.find((i) => i.target === `broadcast-${id}`)).toMatchObject({
      actorName: 'ADMIN_API_TOKEN',
      actorRole: 'admin',
    });

    // A reply to the broadcast is an ordinary SMS: the agent answers it and it counts against the quota
    const reply = await textAndWait(stack, p1, 'Which models are new?');
    expect(reply.outcome).toBe('answered');
    expect(dataOf(await stack.events(userStream(p1)), 'UsageRecorded')).toHaveLength(1);
  });

  it('recipients page in order; an analyst reads them masked and without the text, and may change nothing', async () => {
    const phones = phoneBlock(3);
    const text = 'Analysts see who, not what.';
    const id = await startBroadcast(stack, { text, audience: { phones } });
    await broadcastHandle(stack, id).result();
    await untilBroadcast(stack, id, (r) => r.state === 'completed');

    const first = await api(stack, 'GET', `/api/broadcasts/${id}/recipients?limit=2`);
    expect((first.body.items as { seq: number }[]).map((r) => r.seq)).toEqual([0, 1]);
    const rest = await api(stack, 'GET', `/api/broadcasts/${id}/recipients?limit=2&cursor=${first.body.nextCursor}`);
    expect(rest.body).toMatchObject({ items: [{ seq: 2, phone: phones[2], status: 'sent' }], nextCursor: null });

    const analyst = await tokenFor(stack, 'analyst');
    const asAnalyst = await api(stack, 'GET', `/api/broadcasts/${id}/recipients`, { token: analyst });
    expect((asAnalyst.body.items as { phone: string }[]).map((r) => r.phone)).toEqual(phones.map(maskPhone));
    expect((await api(stack, 'GET', `/api/broadcasts/${id}`, { token: analyst })).body).toMatchObject({
      id,
      text: null,
    });
    const post = await api(stack, 'POST', '/api/broadcasts', { token: analyst, body: { text, audience: { phones } } });
    expect(post.status).toBe(403);
    expect((await api(stack, 'POST', `/api/broadcasts/${id}/cancel`, { token: analyst, body: {} })).status).toBe(403);
  });

  it('answers 401 without credentials, 403 to ops for changes, 404 for an unknown broadcast, 409 to cancel a finished one', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const body = { text: 'hi', audience: { tier: 'all' } };
    expect((await api(stack, 'POST', '/api/broadcasts', { token: null, body })).status).toBe(401);
    expect((await api(stack, 'GET', '/api/broadcasts', { token: null })).status).toBe(401);
    expect((await api(stack, 'POST', `/api/broadcasts/${id}/cancel`, { token: null, body: {} })).status).toBe(401);

    const ops = await tokenFor(stack, 'ops');
    expect((await api(stack, 'POST', '/api/broadcasts', { token: ops, body })).status).toBe(403);
    expect((await api(stack, 'POST', `/api/broadcasts/${id}/cancel`, { token: ops, body: {} })).status).toBe(403);
    expect((await api(stack, 'GET', '/api/broadcasts', { token: ops })).status).toBe(200);

    expect((await api(stack, 'GET', `/api/broadcasts/${id}`)).status).toBe(404);
    expect((await api(stack, 'GET', `/api/broadcasts/${id}/recipients`)).status).toBe(404);
    expect((await api(stack, 'POST', `/api/broadcasts/${id}/cancel`, { body: {} })).status).toBe(404);
    expect((await api(stack, 'GET', '/api/broadcasts/not-an-id')).status).toBe(400);

    const done = await startBroadcast(stack, { text: 'Short and done.', audience: { phones: phoneBlock(1) } });
    await broadcastHandle(stack, done).result();
    const conflict = await api(stack, 'POST', `/api/broadcasts/${done}/cancel`, { body: { reason: 'too late' } });
    expect(conflict).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
  });

  it('answers 400, listing them, for numbers that are not phone numbers, and for bodies it cannot send', async () => {
    const [good] = phoneBlock(1) as [string];
    const bad = await api(stack, 'POST', '/api/broadcasts', {
      body: { text: 'hello', audience: { phones: [good, 'not a number', '12'] } },
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED', invalidPhones: ['not a number', '12'] },
    });
    for (const body of [
      { text: '', audience: { tier: 'all' } },
      { text: 'x'.repeat(1601), audience: { tier: 'all' } },
      { text: 'hello', audience: { tier: 'gold' } },
      { text: 'hello', audience: { phones: [] } },
      { text: 'hello', audience: { tier: 'all', phones: [good] } },
      { text: 'hello' },
    ]) {
      const answer = await api(stack, 'POST', '/api/broadcasts', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect(stack.twilio.messages).toHaveLength(0);
  });
});
