import { performance } from 'node:perf_hooks';
import type { HttpClient } from './http-client.js';
import { closedLoop, openLoop } from './load.js';
import type { ReplyTracker } from './replies.js';
import { type Summary, summarize } from './stats.js';
import { type InboundSms, inboundForm, messageSid, phoneNumber, signedForm } from './twilio-webhook.js';

/** Questions of several categories, so the classifier and the per-category models all take part. */
export const QUESTIONS = [
  'How do I reverse a linked list in TypeScript?',
  'My Python script throws KeyError on line 12, why?',
  'What is a good database schema for a library app?',
  'Write a docstring for a function that merges two sorted arrays',
  'Compare the growth of revenue 2022 vs 2023 for a small shop',
  'What is the capital of Australia and why not Sydney?',
  'Any tips for a first marathon?',
];

export interface E2eResult {
  scenario: string;
  sms: number;
  answered: number;
  /** Answered SMS per second, from the first webhook to the last reply. */
  completedPerSecond: number;
  /** Webhook sent (due) to reply received by the fake Twilio. */
  latencyMs: Summary;
  /** The webhook's own acknowledgement. */
  ackMs: Summary;
  ackFailures: number;
  /** Most SMS between webhook and reply at once (sampled every 100 ms). */
  peakInFlight: number;
  seconds: number;
}

/**
 * Texts `count` SMS (each from a new number) through the signed webhook, either at a steady rate
 * or as fast as `concurrency` senders go, and waits for every reply at the fake Twilio.
 */
export async function measureEndToEnd(options: {
  http: HttpClient;
  tracker: ReplyTracker;
  /** The API's PUBLIC_URL: what the signature covers. */
  publicUrl: string;
  scenario: string;
  /** Distinguishes this phase's MessageSids and phone numbers from the others'. */
  phase: number;
  /** A rate (open loop), as fast as `concurrency` senders go, or one at a time (next SMS after the reply). */
  load: { rate: number; seconds: number } | { concurrency: number; count: number } | { sequential: number };
  timeoutMs: number;
  log?: (line: string) => void;
}): Promise<E2eResult> {
  const { http, tracker, phase } = options;
  const url = `${options.publicUrl}/sms/receive`;
  const sentAt = new Map<string, number>();
  const acks: number[] = [];
  let ackFailures = 0;
  let peakInFlight = 0;
  const send = async (i: number, due: number) => {
    const sms: InboundSms = {
      sid: messageSid(phase, i),
      from: phoneNumber(phase * 60_000 + i),
      body: `${QUESTIONS[i % QUESTIONS.length]} (#${phase}-${i})`,
    };
    const { body, headers } = signedForm(url, inboundForm(sms));
    sentAt.set(sms.sid, performance.timeOrigin + due);
    // Twilio retries a webhook that failed; so do we, a few times, and count the failures.
    for (let attempt = 0; attempt < 4; attempt++) {
      const res = await http.post('/sms/receive', body, headers).catch(() => undefined);
      if (res && res.status >= 200 && res.status < 300) {
        acks.push(performance.now() - due);
        return;
      }
      ackFailures++;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const sampler = setInterval(() => {
    peakInFlight = Math.max(peakInFlight, sentAt.size - tracker.answered(sentAt.keys()));
  }, 100);
  const started = Date.now();
  try {
    const load = options.load;
    if ('rate' in load) await openLoop(load.rate, load.seconds, send);
    else if ('concurrency' in load)
      await closedLoop(load.concurrency, { count: load.count }, (i) => send(i, performance.now()));
    else {
      for (let i = 0; i < load.sequential; i++) {
        await send(i, performance.now());
        await tracker.waitFor([messageSid(phase, i)], options.timeoutMs);
      }
    }
    const sids = [...sentAt.keys()];
    let lastLog = 0;
    await options.tracker.waitFor(sids, options.timeoutMs, (answered) => {
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        options.log?.(`  ${options.scenario}: ${answered}/${sids.length} answered`);
      }
    });
  } finally {
    clearInterval(sampler);
  }
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
    sms: sentAt.size,
    answered: latencies.length,
    completedPerSecond: latencies.length / ((last - first) / 1000),
    latencyMs: summarize(latencies),
    ackMs: summarize(acks),
    ackFailures,
    peakInFlight,
    seconds: (Date.now() - started) / 1000,
  };
}
