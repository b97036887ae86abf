import { performance } from 'node:perf_hooks';
import type { HttpClient } from './http-client.js';
import { closedLoop, openLoop } from './load.js';
import { type Summary, summarize } from './stats.js';

export interface PreparedRequest {
  path: string;
  body: string;
  headers: Record<string, string>;
}

export type Load = { rate: number; seconds: number } | { concurrency: number; seconds: number };

export interface IngestResult {
  load: string;
  sent: number;
  ok: number;
  /** Answers other than 2xx, by status; `error` for requests that got no answer. */
  failures: Record<string, number>;
  acksPerSecond: number;
  latencyMs: Summary;
}

export const describeLoad = (load: Load) =>
  'rate' in load ? `${load.rate}/s open loop` : `saturation (${load.concurrency} senders)`;

/**
 * Sends requests at a load and measures the acknowledgements: 2xx answers per second and the
 * latency of each (from its due time in an open loop, from its send in a closed one).
 */
export async function measureIngest(
  http: HttpClient,
  load: Load,
  request: (i: number) => PreparedRequest,
): Promise<IngestResult> {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let ok = 0;
  // An open loop's requests are built (and signed) before it starts: the load generator shares
  // the machine's cores with the server, so its own work stays out of the measured seconds.
  const prepared =
    'rate' in load ? Array.from({ length: Math.round(load.rate * load.seconds) }, (_, i) => request(i)) : [];
  const send = async (i: number, from: number) => {
    const r = prepared[i] ?? request(i);
    try {
      const res = await http.post(r.path, r.body, r.headers);
      if (res.status >= 200 && res.status < 300) {
        ok++;
        latencies.push(performance.now() - from);
      } else failures[res.status] = (failures[res.status] ?? 0) + 1;
    } catch {
      failures.error = (failures.error ?? 0) + 1;
    }
  };
  const { sent, wallMs } =
    'rate' in load
      ? await openLoop(load.rate, load.seconds, (i, dueAt) => send(i, dueAt))
      : await closedLoop(load.concurrency, { seconds: load.seconds }, (i) => send(i, performance.now()));
  return {
    load: describeLoad(load),
    sent,
    ok,
    failures,
    acksPerSecond: ok / (wallMs / 1000),
    latencyMs: summarize(latencies),
  };
}
