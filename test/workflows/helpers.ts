import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { appendEvents } from '../../activities/event-log.js';
import type { DomainEventType, EventOfType } from '../../domain/events/catalogue.js';
import { userStream } from '../../domain/events/envelope.js';
import type { RecordedEvent } from '../../eventstore/port.js';
import { statusQuery } from '../../workflows/sms-task.js';
import type { SmsStack } from '../support/sms-stack.js';

/** Shared by the SMS pipeline's e2e files (test/workflows, test/api); each file has its own stack. */

export { statusQuery };

export const types = (events: { type: string }[]) => events.map((e) => e.type);

export function dataOf<T extends DomainEventType>(events: RecordedEvent[], type: T): EventOfType<T>['data'][] {
  return events.filter((e) => e.type === type).map((e) => e.data as EventOfType<T>['data']);
}

let phoneCounter = 0;
/** A fresh sender per test: +14155551000, +14155551001, ... (valid US numbers for libphonenumber). */
export const nextPhone = () => `+1415555${String(1000 + phoneCounter++).padStart(4, '0')}`;

/** Replies the fake Twilio received for one person, oldest first. */
export const repliesTo = (stack: SmsStack, phone: string) => stack.twilio.messages.filter((m) => m.to === phone);

/** Sends one SMS and waits for its workflow to finish; returns the sid and the outcome. */
export async function textAndWait(stack: SmsStack, from: string, body: string) {
  const sent = await stack.sendSms({ from, body });
  if (sent.status !== 200) throw new Error(`webhook answered ${sent.status}: ${sent.body}`);
  const { outcome } = await stack.handle(sent.sid).result();
  return { sid: sent.sid, outcome };
}

/** Whether Temporal knows a workflow `sms-<sid>` now (without waiting for the inbox starter). */
export async function workflowExists(stack: SmsStack, sid: string): Promise<boolean> {
  try {
    await stack.client.workflow.getHandle(`sms-${sid}`).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** Given: a registered person on the premium tier (events appended as the admin API would). */
export async function givenPremiumUser(stack: SmsStack, phone: string) {
  await appendEvents(
    stack.store,
    userStream(phone),
    [
      {
        type: 'UserRegistered',
        step: 'given-registered',
        data: { phone, tier: 'free', registeredAt: new Date().toISOString() },
      },
      { type: 'TierChanged', step: 'given-premium', data: { tier: 'premium', changedBy: 'test' } },
    ],
    { correlationId: `test-${phone}`, round: 0, now: new Date() },
    'no_stream',
  );
}

/**
 * Calendar-aligned minute windows: a burst test must not straddle a minute boundary, so wait
 * for the next minute when fewer than `needMs` remain in this one.
 */
export async function awayFromMinuteEdge(needMs = 8_000) {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await sleep(left + 250);
}

/**
 * Polls `read` until `done` holds (a plain loop, unlike expect.poll, so hooks can use it too);
 * throws with the last value on timeout.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeout = 30_000): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  let failure: unknown;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms; last value ${JSON.stringify(last)}`, { cause: failure });
    }
    await sleep(100);
  }
}

/** Waits until the workflow reports this step in its `status` query. */
export async function untilStep(stack: SmsStack, sid: string, step: string, timeout = 45_000) {
  await eventually(
    async () => (await stack.handle(sid).query(statusQuery)).step as string,
    (s) => s === step,
    timeout,
  );
}
