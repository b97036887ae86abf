import { describe, expect, it } from 'vitest';
import { STOP_CONFIRMATION } from '../../domain/sms/keywords.js';
import { api, useProjections } from '../api/actions/helpers.js';
import { useSmsStack } from '../support/sms-stack.js';
import {
  broadcastHandle,
  deliveries,
  givenOptedOut,
  phoneBlock,
  startBroadcast,
  untilBroadcast,
} from './broadcast-helpers.js';
import { dataOf, eventually, repliesTo, textAndWait } from './helpers.js';

/** Broadcasts on real parts: the API lists the audience, workflow `broadcast-<id>` sends, Twilio is the fake. */
describe('a broadcast goes to each recipient once, paced, opt-outs respected', () => {
  // 4 a second: slow enough to act halfway through a short broadcast.
  const stack = useSmsStack({ BROADCAST_RATE_PER_SECOND: '4' });
  useProjections(stack, ['users', 'broadcasts', 'messages']);

  it('given 3 recipients, one opted out, then 2 messages go out and the third is skipped as opted out', {
    timeout: 20_000,
  }, async () => {
    const [a, b, c] = phoneBlock(3) as [string, string, string];
    await givenOptedOut(stack, b);
    const text = 'Maintenance tonight at 22:00 UTC.';

    const id = await startBroadcast(stack, { text, audience: { phones: [a, b, c] } });
    const result = await broadcastHandle(stack, id).result();

    expect(result).toMatchObject({ state: 'completed', sent: 2, skipped: 1, failed: 0, total: 3 });
    expect(deliveries(stack, text)).toEqual(
      new Map([
        [a, 1],
        [c, 1],
      ]),
    );
    const events = await stack.events(`broadcast-${id}-1`);
    expect(dataOf(events, 'BroadcastRecipientSkipped')).toEqual([
      expect.objectContaining({ to: b, reason: 'opted_out' }),
    ]);
    const row = await untilBroadcast(stack, id, (r) => r.state === 'completed');
    expect(row).toMatchObject({ sent: 2, skipped: 1, failed: 0, remaining: 0, total: 3, estimatedSecondsLeft: 0 });
    // The send is paced: 2 messages at 4 a second are at least 250 ms apart.
    const sentAt = stack.twilio.messages.filter((m) => m.body === text).map((m) => m.dateCreated.getTime());
    expect((sentAt[1] ?? 0) - (sentAt[0] ?? 0)).toBeGreaterThanOrEqual(240);
  });

  it('given someone who texts STOP while the broadcast is under way, then they get nothing after it', async () => {
    const phones = phoneBlock(24);
    const late = phones[20] as string;
    const text = 'Our summer offer starts today.';
    const dryRun = await api(stack, 'POST', '/api/broadcasts?dryRun=true', { body: { text, audience: { phones } } });
    expect(dryRun.body).toMatchObject({ audienceSize: 24, optedOut: 0, messages: 24 });

    const id = await startBroadcast(stack, { text, audience: { phones } });
    // Once the broadcast is sending, the person at place 20 texts STOP (answered by the agent)
    await eventually(
      async () => deliveries(stack, text).size,
      (n) => n >= 1,
    );
    const stop = await textAndWait(stack, late, 'STOP');
    expect(stop.outcome).toBe('keyword');
    expect(deliveries(stack, text).has(late)).toBe(false);

    const result = await broadcastHandle(stack, id).result();
    expect(result).toMatchObject({ state: 'completed', sent: 23, skipped: 1 });
    expect(deliveries(stack, text).has(late)).toBe(false);
    expect(repliesTo(stack, late).map((m) => m.body)).toEqual([STOP_CONFIRMATION]);
    expect(dataOf(await stack.events(`broadcast-${id}-20`), 'BroadcastRecipientSkipped')).toEqual([
      expect.objectContaining({ reason: 'opted_out' }),
    ]);
  });

  it('given a cancel halfway, then no message goes out after the answer and the broadcast ends cancelled', async () => {
    const phones = phoneBlock(40);
    const text = 'Reminder: your plan renews next week.';
    const id = await startBroadcast(stack, { text, audience: { phones } });
    await eventually(
      async () => deliveries(stack, text).size,
      (n) => n >= 3,
    );

    const cancelled = await api(stack, 'POST', `/api/broadcasts/${id}/cancel`, { body: { reason: 'wrong list' } });
    expect(cancelled).toMatchObject({ status: 200, body: { id, state: 'cancelled' } });
    const atCancel = stack.twilio.messages.filter((m) => m.body === text).length;

    expect(await broadcastHandle(stack, id).result()).toMatchObject({ state: 'cancelled' });
    await new Promise((r) => setTimeout(r, 1_500));
    const after = stack.twilio.messages.filter((m) => m.body === text).length;
    expect(after).toBe(atCancel);
    expect(after).toBeLessThan(40);
    const row = await untilBroadcast(stack, id, (r) => r.state === 'cancelled' && r.sent === after);
    expect(row).toMatchObject({ cancelledBy: 'ADMIN_API_TOKEN', cancelReason: 'wrong list', estimatedSecondsLeft: 0 });
    expect(row.remaining).toBe(40 - after);
    // Cancelling again is a conflict: it has finished
    expect((await api(stack, 'POST', `/api/broadcasts/${id}/cancel`, { body: {} })).status).toBe(409);
  });

  it('given Twilio accepts a message but its answer is lost, then the retried page finds it at Twilio and sends it once', async () => {
    const phones = phoneBlock(3);
    const text = 'Lost answers are found again.';
    stack.twilio.knobs.loseResponseNext(1);

    const id = await startBroadcast(stack, { text, audience: { phones } });

    expect(await broadcastHandle(stack, id).result()).toMatchObject({ state: 'completed', sent: 3 });
    expect([...deliveries(stack, text).values()]).toEqual([1, 1, 1]);
    expect(dataOf(await stack.events(`broadcast-${id}-0`), 'BroadcastRecipientSent')).toEqual([
      expect.objectContaining({ reconciled: true, providerMessageSid: stack.twilio.messages[0]?.sid }),
    ]);
  });

  it('given Twilio refuses one number (21211) and another opted out at the carrier (21610), then the rest go out', async () => {
    const phones = phoneBlock(4);
    const text = 'Some numbers cannot take this.';
    stack.twilio.knobs.failWith(21211);
    stack.twilio.knobs.failWith(21610);

    const id = await startBroadcast(stack, { text, audience: { phones } });

    expect(await broadcastHandle(stack, id).result()).toMatchObject({
      state: 'completed',
      sent: 2,
      skipped: 1,
      failed: 1,
    });
    const failed = dataOf(await stack.events(`broadcast-${id}-0`), 'BroadcastRecipientFailed');
    expect(failed).toEqual([expect.objectContaining({ error: expect.stringContaining('21211') })]);
    expect(failed[0]?.error).not.toContain(phones[0]);
    expect(dataOf(await stack.events(`broadcast-${id}-1`), 'BroadcastRecipientSkipped')).toEqual([
      expect.objectContaining({ reason: 'opted_out', detail: 'carrier' }),
    ]);
    expect(dataOf(await stack.events(`user-${phones[1]}`), 'UserOptedOut')).toEqual([
      expect.objectContaining({ source: 'carrier' }),
    ]);
    const row = await untilBroadcast(stack, id, (r) => r.state === 'completed');
    expect(row).toMatchObject({ sent: 2, skipped: 1, failed: 1, remaining: 0 });
  });

  it('given a cancel from the Temporal UI (workflow cancellation), then sending stops and the log says "temporal" cancelled it', async () => {
    const phones = phoneBlock(30);
    const text = 'Cancelled from Temporal.';
    const id = await startBroadcast(stack, { text, audience: { phones } });
    await eventually(
      async () => deliveries(stack, text).size,
      (n) => n >= 2,
    );

    await broadcastHandle(stack, id).cancel();

    await expect(broadcastHandle(stack, id).result()).rejects.toThrow();
    const row = await untilBroadcast(stack, id, (r) => r.state === 'cancelled');
    expect(row).toMatchObject({ cancelledBy: 'temporal' });
    const atEnd = deliveries(stack, text).size;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(deliveries(stack, text).size).toBe(atEnd);
    expect(atEnd).toBeLessThan(30);
  });
});
