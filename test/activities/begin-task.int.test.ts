import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appendEvents } from '../../activities/event-log.js';
import { createSmsTaskActivities } from '../../activities/sms-task.js';
import { userStream } from '../../domain/events/envelope.js';
import type { EventStore } from '../../eventstore/index.js';
import { loadConfig } from '../../infra/config.js';
import { createLogger } from '../../infra/logger.js';
import type { SmsTaskInput } from '../../workflows/types.js';
import { useEventStoreDatabase } from '../support/database.js';

const db = useEventStoreDatabase('begin');

/**
 * The real PostgreSQL store in a fresh schema, counting the reads of user streams; `beforeAppend`
 * runs before each append to a user stream (to write something of someone else's first).
 */
async function freshStore() {
  const { store: raw } = await db.freshStore();
  const seen = { userReads: 0, beforeAppend: undefined as (() => Promise<void>) | undefined };
  const store: EventStore = Object.create(raw, {
    readStream: {
      value: (...args: Parameters<EventStore['readStream']>) => {
        if (args[0].startsWith('user-')) seen.userReads++;
        return raw.readStream(...args);
      },
    },
    append: {
      value: async (...args: Parameters<EventStore['append']>) => {
        const hook = seen.beforeAppend;
        if (args[0].startsWith('user-') && hook) {
          seen.beforeAppend = undefined;
          await hook();
        }
        return raw.append(...args);
      },
    },
  });
  return { store, seen, raw };
}

// Neither is reached before the AI call: beginTask only reads and appends events.
const unreachable = new Proxy({} as never, {
  get: () => {
    throw new Error('beginTask must not send or call a model');
  },
});

function activities(store: EventStore, env: Record<string, string> = {}) {
  const config = loadConfig({ QUOTA_FREE_PER_MONTH: '2', ...env }, '/nonexistent');
  return createSmsTaskActivities({
    config,
    logger: createLogger({ level: 'silent' }),
    store,
    sms: unreachable,
    ai: unreachable,
    alerts: unreachable,
    globalBudget: { read: async () => undefined },
  });
}

let sids = 0;
const textFrom = (from: string, body = 'What is a closure in JavaScript?'): SmsTaskInput => ({
  messageSid: `SM${randomUUID().replace(/-/g, '')}`.slice(0, 34) + String(sids++),
  from,
  to: '+15005550006',
  body,
  numMedia: 0,
  provider: 'twilio',
  receivedAt: new Date().toISOString(),
});
const usageOf = async (store: EventStore, phone: string) =>
  (await store.readStream(userStream(phone))).filter((e) => e.type === 'UsageRecorded').length;

describe('beginTask reads the person once (real PostgreSQL)', () => {
  it('given a first text, then it registers the person and takes a unit after one read of their stream', async () => {
    const { store, seen } = await freshStore();
    const steps = activities(store);
    const from = '+14155550201';

    const start = await steps.beginTask({ input: textFrom(from), round: 0 });

    expect(start.next).toBe('ai');
    // The read that found no one; the rate check decided on the state just registered.
    expect(seen.userReads).toBe(1);
    expect((await store.readStream(userStream(from))).map((e) => e.type)).toEqual([
      'UserRegistered',
      'UsageRecorded',
      'SpendReserved',
    ]);
  });

  it('given a returning person, then one read serves the received step and the rate check', async () => {
    const { store, seen } = await freshStore();
    const steps = activities(store);
    const from = '+14155550202';
    await steps.beginTask({ input: textFrom(from), round: 0 });
    seen.userReads = 0;

    expect((await steps.beginTask({ input: textFrom(from), round: 0 })).next).toBe('ai');

    expect(seen.userReads).toBe(1);
    expect(await usageOf(store, from)).toBe(2);
  });

  it('given another text takes the last unit between the read and the rate check, then it decides again and is limited', async () => {
    const { store, seen, raw } = await freshStore();
    const steps = activities(store);
    const from = '+14155550203';
    await steps.beginTask({ input: textFrom(from), round: 0 });
    // Just before this text's unit is appended, another text of theirs takes the second (last) unit.
    seen.beforeAppend = async () => {
      await appendEvents(
        raw,
        userStream(from),
        [{ type: 'UsageRecorded', step: 'usage', data: { messageSid: 'SMother', at: new Date().toISOString() } }],
        { correlationId: 'sms-SMother', round: 0, now: new Date() },
      );
    };
    seen.userReads = 0;

    const start = await steps.beginTask({ input: textFrom(from), round: 0 });

    // The append at the revision read failed; the state read again had no unit left.
    expect(start).toMatchObject({ next: 'reply', outcome: 'rate_limited' });
    expect(seen.userReads).toBe(2);
    expect(await usageOf(store, from)).toBe(2);
  });

  it('given two first texts at once, then one UserRegistered and both decided on what the stream holds', async () => {
    const { store } = await freshStore();
    const steps = activities(store);
    const from = '+14155550204';

    const starts = await Promise.all([
      steps.beginTask({ input: textFrom(from), round: 0 }),
      steps.beginTask({ input: textFrom(from), round: 0 }),
    ]);

    expect(starts.map((s) => s.next)).toEqual(['ai', 'ai']);
    const types = (await store.readStream(userStream(from))).map((e) => e.type);
    expect(types.filter((t) => t === 'UserRegistered')).toHaveLength(1);
    expect(types.filter((t) => t === 'UsageRecorded')).toHaveLength(2);
  });
});
