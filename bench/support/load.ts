import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Open loop: request i is due at start + i/rate whether or not earlier ones were answered (a
 * webhook sender does not wait for us). `fire` gets the due time, so latency counts from when the
 * request should have gone out: a stalled server cannot hide its queue (no coordinated omission).
 */
export async function openLoop(
  rate: number,
  seconds: number,
  fire: (i: number, dueAt: number) => Promise<unknown>,
): Promise<{ sent: number; wallMs: number }> {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const pending: Promise<unknown>[] = [];
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; i < due; i++) pending.push(fire(i, started + (i * 1000) / rate));
    const next = started + (i * 1000) / rate;
    await sleep(Math.max(0, next - performance.now()));
  }
  await Promise.allSettled(pending);
  return { sent: total, wallMs: performance.now() - started };
}

/**
 * Closed loop: `concurrency` senders, each sending its next request as soon as the previous one is
 * answered, until `seconds` have passed or `count` requests were sent. Measures saturation.
 */
export async function closedLoop(
  concurrency: number,
  limit: { seconds?: number; count?: number },
  op: (i: number) => Promise<unknown>,
): Promise<{ sent: number; wallMs: number }> {
  const started = performance.now();
  const end = limit.seconds === undefined ? Number.POSITIVE_INFINITY : started + limit.seconds * 1000;
  const count = limit.count ?? Number.POSITIVE_INFINITY;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end && next < count) await op(next++).catch(() => undefined);
    }),
  );
  return { sent: next, wallMs: performance.now() - started };
}
