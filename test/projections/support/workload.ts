import { audienceChunks } from '../../../domain/broadcast/audience.js';
import { currentSchemaVersion, type DomainEvent, type EventOfType } from '../../../domain/events/catalogue.js';
import { eventId } from '../../../domain/events/envelope.js';
import type { EventStore, NewEvent } from '../../../eventstore/port.js';

/**
 * Generates a realistic mixed log for the projection tests and the benchmark: many people,
 * tasks with every outcome (answers, long answers continued with MORE, keywords, opt-outs,
 * rate limits, failures with and without a retry), delivery callbacks (some out of order,
 * carrier opt-outs), tier changes, profile updates and broadcasts. Deterministic for a seed.
 */

export interface AppendOp {
  stream: string;
  events: NewEvent[];
  /** Simulated time of the append (ms since epoch); ops are returned in this order. */
  at: number;
}

export interface WorkloadOptions {
  seed?: number;
  users?: number;
  tasks?: number;
  /** Tasks are spread over this many days before `end`. */
  days?: number;
  end?: Date;
  broadcasts?: number;
  /** Prefix of MessageSids, so several workloads can share one log. */
  sidPrefix?: string;
}

type Data<T extends DomainEvent['type']> = EventOfType<T>['data'];

/** mulberry32: a tiny seeded PRNG, enough for test data. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORIES = ['coding', 'debug', 'design', 'documentation', 'analysis', 'general'] as const;
const QUESTIONS = [
  'How do I reverse a linked list in Python?',
  'My build fails with ENOENT, why?',
  'Draft a schema for a todo app',
  'Explain what a monad is in two sentences',
  'Compare Postgres and MySQL for analytics',
  'Café recommendations near the station? 😊',
];

export function generateWorkload(options: WorkloadOptions = {}): AppendOp[] {
  const random = prng(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const chance = (p: number) => random() < p;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');

  const userCount = options.users ?? 50;
  const taskCount = options.tasks ?? 500;
  const days = options.days ?? 7;
  const end = (options.end ?? new Date('2026-01-15T00:00:00Z')).getTime();
  const start = end - days * 86_400_000;
  const prefix = options.sidPrefix ?? 'SM';
  const ops: AppendOp[] = [];

  const people = Array.from({ length: userCount }, (_, i) => ({
    phone: `+1415${String(5550000 + i * 7 + (options.seed ?? 1) * 1000).padStart(7, '0')}`,
    registered: false,
    optedOut: false,
    tier: (chance(0.2) ? 'premium' : 'free') as 'free' | 'premium',
    lastAnswered: undefined as string | undefined,
  }));

  const op = <T extends DomainEvent['type']>(
    stream: string,
    at: number,
    correlationId: string,
    step: string,
    type: T,
    data: Data<T>,
  ) => {
    const event: NewEvent = {
      id: eventId(correlationId, `${stream}/${step}`),
      type,
      data,
      metadata: {
        correlationId,
        occurredAt: new Date(at).toISOString(),
        schemaVersion: currentSchemaVersion(type),
      },
    };
    ops.push({ stream, events: [event], at });
  };

  for (let n = 0; n < taskCount; n++) {
    const person = pick(people);
    const sid = `${prefix}${hex(32 - prefix.length)}`;
    const stream = `sms-${sid}`;
    const user = `user-${person.phone}`;
    let t = start + Math.floor(random() * (days * 86_400_000 - 600_000));
    const t0 = t;
    const next = (min = 20, max = 1500) => (t += int(min, max));
    const sms = <T extends DomainEvent['type']>(step: string, type: T, data: Data<T>) =>
      op(stream, next(), stream, step, type, data);
    const usr = <T extends DomainEvent['type']>(step: string, type: T, data: Data<T>) =>
      op(user, next(), stream, step, type, data);

    const roll = random();
    const keyword =
      roll < 0.02
        ? 'STOP'
        : roll < 0.03
          ? 'START'
          : roll < 0.05
            ? 'HELP'
            : roll < 0.06
              ? 'RESET'
              : roll < 0.08
                ? 'MORE'
                : undefined;
    const body = keyword ?? pick(QUESTIONS);
    op(stream, t, stream, 'received', 'SmsReceived', {
      messageSid: sid,
      from: person.phone,
      to: '+14155550100',
      body,
      numMedia: 0,
      provider: 'twilio',
      receivedAt: new Date(t).toISOString(),
    });
    if (!person.registered) {
      person.registered = true;
      usr('registered', 'UserRegistered', {
        phone: person.phone,
        tier: person.tier,
        registeredAt: new Date(t).toISOString(),
      });
    }

    const reply = (kind: Data<'ReplySent'>['kind'], text: string, extra: Partial<Data<'ReplySent'>> = {}) => {
      const providerSid = `SM${hex(32)}`;
      const segments = Math.max(1, Math.ceil(text.length / 153));
      sms(`reply/${kind}`, 'ReplySent', {
        kind,
        to: person.phone,
        body: text,
        providerMessageSid: providerSid,
        provider: 'twilio',
        segments,
        encoding: /^[\x20-\x7e]*$/.test(text) ? 'GSM-7' : 'UCS-2',
        hasMore: false,
        ...extra,
      });
      // Status callbacks; now and then out of order, now and then a carrier opt-out (21610).
      const fate = random();
      const statuses: [Data<'DeliveryStatusUpdated'>['status'], string?][] =
        fate < 0.85
          ? [['sent'], ['delivered']]
          : fate < 0.9
            ? [['delivered'], ['sent']]
            : fate < 0.97
              ? [['sent'], ['undelivered', '30003']]
              : [['failed', '21610']];
      for (const [i, [status, errorCode]] of statuses.entries()) {
        sms(`delivery/${providerSid}/${i}`, 'DeliveryStatusUpdated', {
          providerMessageSid: providerSid,
          status,
          ...(errorCode !== undefined && { errorCode }),
        });
      }
      if (statuses.some(([, code]) => code === '21610') && !person.optedOut) {
        person.optedOut = true;
        usr(`carrier-optout/${providerSid}`, 'UserOptedOut', { source: 'carrier', messageSid: sid });
      }
    };
    const complete = (outcome: Data<'TaskCompleted'>['outcome']) =>
      sms('completed', 'TaskCompleted', { outcome, processingMs: t - t0 + int(0, 50) });

    if (keyword) {
      sms('keyword', 'KeywordDetected', { keyword, word: keyword.toLowerCase() });
      if (keyword === 'STOP') {
        if (!person.optedOut) usr('optout', 'UserOptedOut', { source: 'keyword', messageSid: sid });
        person.optedOut = true;
        reply('keyword', 'You are unsubscribed. Text START to resubscribe.');
        complete('keyword');
      } else if (keyword === 'START') {
        if (person.optedOut) usr('optin', 'UserOptedIn', { messageSid: sid });
        person.optedOut = false;
        reply('keyword', 'Welcome back!');
        complete('keyword');
      } else if (person.optedOut) {
        complete('opted_out');
      } else if (keyword === 'HELP') {
        reply('keyword', 'Text any question. STOP to unsubscribe.');
        complete('keyword');
      } else if (keyword === 'RESET') {
        usr('reset', 'ConversationReset', { messageSid: sid });
        reply('keyword', 'Conversation cleared.');
        complete('keyword');
      } else if (person.lastAnswered) {
        reply('continuation', 'continued part of the answer '.repeat(4), {
          continuesMessageSid: person.lastAnswered,
          sentUpTo: 900,
        });
        person.lastAnswered = undefined;
        complete('answered');
      } else {
        reply('keyword', 'Nothing to continue.');
        complete('nothing_to_continue');
      }
      continue;
    }
    if (person.optedOut) {
      complete('opted_out');
      continue;
    }

    const category = pick(CATEGORIES);
    sms('classified', 'TaskClassified', {
      category,
      priority: pick(['low', 'normal', 'high'] as const),
      complexityScore: Math.round(random() * 100) / 100,
      model: category === 'coding' ? 'gpt-4o' : 'gpt-4o-mini',
      classifier: 'rules',
    });
    if (chance(0.05)) {
      const notify = chance(0.6);
      const retryAt = new Date(t + 3_600_000).toISOString();
      usr('ratelimit', 'RateLimitHit', {
        messageSid: sid,
        window: 'day',
        windowStart: new Date(t - (t % 86_400_000)).toISOString(),
        retryAt,
        notify,
      });
      sms('ratelimited', 'RateLimited', { window: 'day', limit: 20, retryAt, notified: notify });
      if (notify) reply('rate_limit', 'Daily limit reached, try again tomorrow.');
      complete('rate_limited');
      continue;
    }
    usr('usage', 'UsageRecorded', { messageSid: sid, at: new Date(t).toISOString() });

    let round = 0;
    const answer = () => {
      const long = chance(0.2);
      const text = long ? 'A long answer. '.repeat(40) : `Answer about ${category}.`;
      const promptTokens = int(50, 800);
      const completionTokens = int(20, 400);
      sms(`ai/${round}`, 'AiResponseGenerated', {
        model: category === 'coding' ? 'gpt-4o' : 'gpt-4o-mini',
        fallbackUsed: chance(0.03),
        text,
        promptTokens,
        completionTokens,
        costUsd: (promptTokens * 0.15 + completionTokens * 0.6) / 1_000_000,
        latencyMs: int(300, 4000),
      });
      reply('answer', long ? text.slice(0, 459) : text, long ? { hasMore: true, sentUpTo: 459 } : {});
      if (long) person.lastAnswered = sid;
      usr(`turn/${round}`, 'ConversationTurnRecorded', { messageSid: sid, question: body, answer: text.slice(0, 200) });
    };
    if (chance(0.06)) {
      const step = pick(['generateAnswer', 'sendReply'] as const);
      sms(`failed/${round}`, 'TaskFailed', {
        step,
        errorType: step === 'generateAnswer' ? 'OpenAIRateLimitError' : 'TwilioRestError',
        errorMessage:
          step === 'generateAnswer'
            ? '429 Too Many Requests'
            : `The 'To' number ${person.phone} is not a valid phone number.`,
        attempts: 5,
        round,
      });
      if (chance(0.4)) continue;
      next(60_000, 600_000);
      round++;
      sms(`retry/${round}`, 'TaskRetryRequested', { requestedBy: 'admin@example.com', round });
      if (chance(0.2)) {
        sms(`failed/${round}`, 'TaskFailed', {
          step: 'generateAnswer',
          errorType: 'OpenAIRateLimitError',
          errorMessage: '429 Too Many Requests',
          attempts: 5,
          round,
        });
        continue;
      }
    }
    answer();
    complete('answered');
    if (chance(0.02)) {
      person.tier = person.tier === 'free' ? 'premium' : 'free';
      usr(`tier/${n}`, 'TierChanged', { tier: person.tier, changedBy: 'admin' });
      // As the admin API appends it: with its actor, so the audit read model has rows.
      const actor = { name: 'admin@example.com', role: 'admin', kind: 'session' } as const;
      Object.assign(ops.at(-1)?.events[0]?.metadata ?? {}, { actor, reason: 'plan change' });
    }
    if (chance(0.02))
      usr(`profile/${n}`, 'UserProfileUpdated', { email: `p${n}@example.com`, preferences: { lang: 'en' } });
  }

  // Broadcasts as the API and workflows/broadcast.ts append them: the audience, the start (with
  // its actor, for the audit read model), one stream per recipient, then completed or cancelled.
  const admin = { name: 'admin@example.com', role: 'admin', kind: 'session' } as const;
  const withActor = (reason?: string) => Object.assign(ops.at(-1)?.events[0]?.metadata ?? {}, { actor: admin, reason });
  for (let b = 0; b < (options.broadcasts ?? 2); b++) {
    const id = `bc-${options.seed ?? 1}-${b}`;
    const stream = `broadcast-${id}`;
    let t = start + Math.floor(random() * days * 86_400_000);
    const audience = people.filter(() => chance(0.6)).map((p) => p.phone);
    if (audience.length === 0) continue;
    for (const chunk of audienceChunks(audience)) {
      op(`${stream}-audience`, t, stream, `audience/${chunk.from}`, 'BroadcastAudienceListed', {
        broadcastId: id,
        ...chunk,
      });
    }
    const text = 'Service update: answers are faster now.';
    op(stream, t + 1, stream, 'started', 'BroadcastStarted', {
      broadcastId: id,
      text,
      audience: { kind: 'tier', tier: 'all' },
      recipients: audience.length,
      encoding: 'GSM-7',
      segmentsPerMessage: 1,
      startedBy: admin.name,
    });
    withActor();
    const cancelled = chance(0.3);
    const stopAt = cancelled ? Math.floor(audience.length / 2) : audience.length;
    const counts = { sent: 0, skipped: 0, failed: 0 };
    for (let seq = 0; seq < stopAt; seq++) {
      t += int(5, 50);
      const recipient = `${stream}-${seq}`;
      const ref = { broadcastId: id, seq, to: audience[seq] as string };
      if (chance(0.1)) {
        op(recipient, t, stream, 'result', 'BroadcastRecipientSkipped', {
          ...ref,
          reason: 'opted_out',
          detail: 'keyword',
        });
        counts.skipped++;
        continue;
      }
      op(recipient, t, stream, 'intent/1', 'BroadcastRecipientIntentRecorded', {
        ...ref,
        body: text,
        provider: 'twilio',
      });
      if (chance(0.05)) {
        op(recipient, t + 1, stream, 'result', 'BroadcastRecipientFailed', {
          ...ref,
          error: 'Twilio rejected the message (400 21211)',
        });
        counts.failed++;
        continue;
      }
      op(recipient, t + 1, stream, 'result', 'BroadcastRecipientSent', {
        ...ref,
        body: text,
        providerMessageSid: `SM${hex(32)}`,
        provider: 'twilio',
        segments: 1,
        encoding: 'GSM-7',
      });
      counts.sent++;
    }
    if (cancelled) {
      op(stream, t + 10, stream, 'cancelled', 'BroadcastCancelled', { broadcastId: id, cancelledBy: admin.name });
      withActor('wrong audience');
    } else {
      op(stream, t + 10, stream, 'completed', 'BroadcastCompleted', { broadcastId: id, ...counts });
    }
  }
  return ops.sort((a, b) => a.at - b.at);
}

export const countEvents = (ops: readonly AppendOp[]) => ops.reduce((n, o) => n + o.events.length, 0);

/**
 * Appends ops in time order with `concurrency` appends in flight; each stream's ops stay in order
 * (an op waits for the previous op on its stream), so streams interleave as they would live.
 */
export async function appendWorkload(
  store: EventStore,
  ops: readonly AppendOp[],
  options: { concurrency?: number } = {},
): Promise<void> {
  const last = new Map<string, Promise<unknown>>();
  let next = 0;
  const worker = async () => {
    while (next < ops.length) {
      const op = ops[next++] as AppendOp;
      const before = last.get(op.stream);
      const done = (async () => {
        await before;
        await store.append(op.stream, op.events);
      })();
      last.set(op.stream, done);
      await done;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
}

/** Merges consecutive ops on the same stream into one append (fast bulk loading). */
export function coalesceByStream(ops: readonly AppendOp[], maxEvents = 50): AppendOp[] {
  const byStream = new Map<string, AppendOp[]>();
  for (const op of ops) {
    const list = byStream.get(op.stream) ?? [];
    const tail = list.at(-1);
    if (tail && tail.events.length + op.events.length <= maxEvents) tail.events.push(...op.events);
    else list.push({ stream: op.stream, events: [...op.events], at: op.at });
    byStream.set(op.stream, list);
  }
  return [...byStream.values()].flat().sort((a, b) => a.at - b.at);
}
