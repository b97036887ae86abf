import { performance } from 'node:perf_hooks';
import { appendEvents, type Draft } from '../../activities/event-log.js';
import { createUserStateReader } from '../../activities/user-state-reader.js';
import { userStream } from '../../domain/events/envelope.js';
import type { EventStore } from '../../eventstore/port.js';
import { QUESTIONS } from './e2e.js';
import type { HttpClient } from './http-client.js';
import type { ReplyTracker } from './replies.js';
import { type Summary, summarize } from './stats.js';
import { inboundForm, messageSid, phoneNumber, signedForm } from './twilio-webhook.js';

/**
 * The "cost flat in a user's history" row (issue #18): people with a long month of use behind them
 * text one SMS after another, beside people with none, and the CPU per SMS of the two is compared.
 */

/** Half of the reader's default snapshotEvery: how far behind the newest snapshot a cold read finds a stream on average. */
const SNAPSHOT_TAIL = 250;

/**
 * Registers `phone` as premium and, when `usage` > 0, appends that many UsageRecorded events spread
 * over this UTC month up to now (batches of 1,000 per append: seconds, not a month of texting).
 * They go straight into the log, as the worker would have written them, so the worker's reads and
 * the projections see an ordinary long history.
 *
 * The worker read this person for each of those SMS, so it took a snapshot of their state every
 * 500 events (activities/user-state-reader.ts): the same reader reads them once here, before the
 * last SNAPSHOT_TAIL events, so the newest snapshot is as far behind as a cold read would find it
 * on average. The bench's worker has never read them: its first read is from that snapshot.
 */
export async function seedUser(store: EventStore, phone: string, usage: number, now = new Date()): Promise<void> {
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const span = now.getTime() - monthStart;
  const cause = { correlationId: `bench-history-${phone}`, round: 0, now };
  const drafts: Draft[] = [
    {
      type: 'UserRegistered',
      step: 'registered',
      data: { phone, tier: 'premium', registeredAt: new Date(monthStart).toISOString() },
    },
  ];
  for (let i = 0; i < usage; i++) {
    drafts.push({
      type: 'UsageRecorded',
      step: `usage-${i}`,
      data: {
        messageSid: `SMhistory${phone.slice(1)}${String(i).padStart(6, '0')}`,
        at: new Date(monthStart + Math.floor((span * i) / Math.max(1, usage))).toISOString(),
      },
    });
  }
  const append = async (from: number, to: number) => {
    for (let i = from; i < to; i += 1_000) {
      await appendEvents(store, userStream(phone), drafts.slice(i, Math.min(i + 1_000, to)), cause);
    }
  };
  const tail = Math.min(SNAPSHOT_TAIL, drafts.length - 1);
  await append(0, drafts.length - tail);
  await createUserStateReader(store)(phone);
  await append(drafts.length - tail, drafts.length);
}

export interface HistoryResult {
  scenario: string;
  users: number;
  usagePerUser: number;
  sms: number;
  answered: number;
  completedPerSecond: number;
  latencyMs: Summary;
  /** True when the time limit ended the row before every reply came. */
  timedOut: boolean;
  seconds: number;
}

/**
 * `users` senders (numbers `phoneNumber(phase * 60_000 + u)`), each texting `perUser` SMS one after
 * another (the next after the reply, as a person does; a person's SMS never overlap, so no quota
 * append conflicts). Gives up waiting after `timeoutMs` in all: with a fold that grows with the
 * history, a reply can take minutes, and the row must still end and report what it measured.
 */
export async function textAsUsers(options: {
  http: HttpClient;
  tracker: ReplyTracker;
  publicUrl: string;
  scenario: string;
  phase: number;
  users: number;
  perUser: number;
  usagePerUser: number;
  timeoutMs: number;
}): Promise<HistoryResult> {
  const { http, tracker, phase } = options;
  const url = `${options.publicUrl}/sms/receive`;
  const deadline = Date.now() + options.timeoutMs;
  const sentAt = new Map<string, number>();
  const started = Date.now();
  let timedOut = false;
  await Promise.all(
    Array.from({ length: options.users }, async (_, u) => {
      const from = phoneNumber(phase * 60_000 + u);
      for (let k = 0; k < options.perUser && Date.now() < deadline; k++) {
        const i = u * options.perUser + k;
        const sid = messageSid(phase, i);
        const { body, headers } = signedForm(
          url,
          inboundForm({ sid, from, body: `${QUESTIONS[i % QUESTIONS.length]} (#${phase}-${i})` }),
        );
        sentAt.set(sid, performance.timeOrigin + performance.now());
        const res = await http.post('/sms/receive', body, headers).catch(() => undefined);
        if (!res || res.status >= 300) continue;
        const done = await tracker.waitFor([sid], Math.max(0, deadline - Date.now()));
        if (done < 1) timedOut = true;
      }
    }),
  );
  const latencies: number[] = [];
  let last = 0;
  for (const [sid, at] of sentAt) {
    const replied = tracker.firstAt(sid);
    if (replied === undefined) continue;
    latencies.push(replied - at);
    last = Math.max(last, replied);
  }
  const first = Math.min(...sentAt.values());
  return {
    scenario: options.scenario,
    users: options.users,
    usagePerUser: options.usagePerUser,
    sms: sentAt.size,
    answered: latencies.length,
    completedPerSecond: latencies.length ? latencies.length / ((last - first) / 1000) : 0,
    latencyMs: summarize(latencies),
    timedOut: timedOut || latencies.length < sentAt.size,
    seconds: (Date.now() - started) / 1000,
  };
}
