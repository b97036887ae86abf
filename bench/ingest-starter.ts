/**
 * Where the webhook's p99 goes while the inbox starter runs (issue #18's ingest target): signed
 * webhooks at a fixed rate against the API with the starter inside it (as deployed), with the
 * starter in a process of its own (`--starter outside`), or with no starter at all (`--starter off`),
 * its starts going to a task queue nothing polls. Prints the acknowledgement latency of each run and
 * the CPU each process used and the time it waited on a run queue for a core (cores). A diagnosis, not a benchmark with targets (`npm run bench` is).
 *
 *   node --import tsx bench/ingest-starter.ts [--starter inside|outside|off] [--rate 200] [--runs 3]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../infra/ports.js';
import { HttpClient } from './support/http-client.js';
import { startBenchInfra } from './support/infra.js';
import { measureIngest } from './support/ingest.js';
import { cpuSecondsOf, processTree, runQueueSeconds, runQueueWaitOf, untilQuiet } from './support/proc.js';
import { ROOT, type RoleProcess, spawnRole, untilHealthy } from './support/roles.js';
import { inboundForm, messageSid, phoneNumber, signedForm } from './support/twilio-webhook.js';

const { values: args } = parseArgs({
  options: {
    starter: { type: 'string', default: 'inside' },
    rate: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
  },
});
const placement = args.starter as 'inside' | 'outside' | 'off';
if (!['inside', 'outside', 'off'].includes(placement)) throw new Error('--starter is inside, outside or off');
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const log = (line: string) => process.stderr.write(`${line}\n`);

const infra = await startBenchInfra({ log });
const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
const env = (extra: Record<string, string> = {}) =>
  infra.roleEnv({
    LOG_LEVEL: 'warn',
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    TEMPORAL_TASK_QUEUE: 'bench-ingest-unpolled',
    ...extra,
  });
const logFile = (name: string) => path.join(infra.dir, 'logs', `${name}.log`);
const roles: RoleProcess[] = [];
try {
  const migrate = spawnRole('migrate', { role: 'migrate' }, env(), logFile('migrate'));
  if ((await migrate.exited).code !== 0) throw new Error(`migrate failed; see ${logFile('migrate')}`);
  const projector = spawnRole('projector', { role: 'projector' }, env(), logFile('projector'));
  const api = spawnRole(
    'api',
    { script: path.join(ROOT, 'bench/support/api-process.ts') },
    env(placement === 'inside' ? {} : { BENCH_INBOX: 'off' }),
    logFile('api'),
  );
  roles.push(projector, api);
  const starter =
    placement === 'outside'
      ? spawnRole('starter', { script: path.join(ROOT, 'bench/support/starter-process.ts') }, env(), logFile('starter'))
      : undefined;
  if (starter) roles.push(starter);
  await untilHealthy(`${publicUrl}/health`, api);
  const http = new HttpClient(publicUrl);
  const url = `${publicUrl}/sms/receive`;
  const signed = (phase: number) => (i: number) => {
    const sms = { sid: messageSid(phase, i), from: phoneNumber(phase * 60_000 + i), body: 'Is this fast?' };
    return { path: '/sms/receive', ...signedForm(url, inboundForm(sms)) };
  };
  await measureIngest(http, { concurrency: 8, seconds: 2 }, signed(0)); // warm-up
  const processes: Record<string, () => number[]> = {
    api: () => [api.pid],
    starter: () => (starter ? [starter.pid] : []),
    projector: () => [projector.pid],
    postgres: () => [infra.postgres.pid],
    temporal: () => infra.temporalPids,
  };
  const cpu = () =>
    Object.fromEntries(
      Object.entries(processes).map(([name, pids]) => [name, pids().reduce((s, p) => s + cpuSecondsOf(p), 0)]),
    );
  const queues = () =>
    Object.fromEntries(
      Object.entries(processes).map(([name, pids]) => [name, runQueueWaitOf(pids().flatMap(processTree))]),
    );
  log(`starter ${placement}, ${RATE}/s for ${SECONDS} s, ${args.runs} runs`);
  for (let run = 1; run <= Number(args.runs); run++) {
    await untilQuiet(() => [...infra.temporalPids, infra.postgres.pid]);
    const before = cpu();
    const queuesBefore = queues();
    const result = await measureIngest(http, { rate: RATE, seconds: SECONDS }, signed(run));
    const after = cpu();
    const queuesAfter = queues();
    // Cores used / cores waiting on a run queue for one (schedstat): the wait is the contention.
    const cores = Object.entries(after)
      .map(([name, s]) => {
        const waiting = runQueueSeconds(queuesBefore[name] ?? new Map(), queuesAfter[name] ?? new Map()) / SECONDS;
        return `${name} ${((s - (before[name] ?? 0)) / SECONDS).toFixed(2)} / ${waiting.toFixed(2)}`;
      })
      .join(', ');
    const { p50, p99, max } = result.latencyMs;
    process.stdout.write(
      `starter ${placement}, run ${run}: ${result.ok}/${result.sent} acked, p50 ${p50} ms, p99 ${p99} ms, max ${max} ms; cores used / waiting: ${cores}\n`,
    );
  }
  http.close();
} finally {
  await Promise.all(roles.map((r) => r.stop()));
  await infra.close();
}
