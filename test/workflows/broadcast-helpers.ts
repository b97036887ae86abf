import { appendEvents } from '../../activities/event-log.js';
import { broadcastWorkflowId } from '../../domain/broadcast/streams.js';
import { userStream } from '../../domain/events/envelope.js';
import type { broadcast } from '../../workflows/broadcast.js';
import { api } from '../api/actions/helpers.js';
import type { SmsStack } from '../support/sms-stack.js';
import { eventually } from './helpers.js';

/** Shared by the broadcast tests (test/workflows/broadcast*.int.test.ts, test/api/broadcasts.e2e.test.ts). */

/** POST /api/broadcasts as the bootstrap admin; throws unless it was accepted. Returns the id. */
export async function startBroadcast(
  stack: SmsStack,
  body: { text: string; audience: { tier: string } | { phones: string[] } },
): Promise<string> {
  const started = await api(stack, 'POST', '/api/broadcasts', { body });
  if (started.status !== 202)
    throw new Error(`POST /api/broadcasts answered ${started.status}: ${JSON.stringify(started.body)}`);
  return started.body.id as string;
}

export const broadcastHandle = (stack: SmsStack, id: string) =>
  stack.client.workflow.getHandle<typeof broadcast>(broadcastWorkflowId(id));

/** Messages of this text the Twilio fake accepted, by recipient. */
export function deliveries(stack: SmsStack, text: string): Map<string, number> {
  const byPhone = new Map<string, number>();
  for (const m of stack.twilio.messages) if (m.body === text) byPhone.set(m.to, (byPhone.get(m.to) ?? 0) + 1);
  return byPhone;
}

/** Given: a person who texted once and then STOP (as the workflow records it). */
export async function givenOptedOut(stack: SmsStack, phone: string) {
  await appendEvents(
    stack.store,
    userStream(phone),
    [
      {
        type: 'UserRegistered',
        step: 'given-registered',
        data: { phone, tier: 'free', registeredAt: new Date().toISOString() },
      },
      { type: 'UserOptedOut', step: 'given-opted-out', data: { source: 'keyword', messageSid: `SM${'1'.repeat(32)}` } },
    ],
    { correlationId: `test-${phone}`, round: 0, now: new Date() },
    'no_stream',
  );
}

/** A distinct block of valid US numbers per call: +1 212 5xx xxxx. */
let block = 0;
export function phoneBlock(count: number): string[] {
  const base = 5_000_000 + block++ * 20_000;
  return Array.from({ length: count }, (_, i) => `+1212${String(base + i).padStart(7, '0')}`);
}

/** The broadcast's read-model row once `done` holds. */
export async function untilBroadcast(
  stack: SmsStack,
  id: string,
  done: (row: Record<string, unknown>) => boolean,
  timeout = 30_000,
) {
  return eventually(
    async () => (await api(stack, 'GET', `/api/broadcasts/${id}`)).body,
    (b) => b.id === id && done(b),
    timeout,
  );
}
