/**
 * Pipeline benchmark: how fast the whole SMS pipeline is, next to ceilings measured in the same
 * run on the same servers. Starts its own embedded PostgreSQL (default durability) and headless
 * Temporal dev server, runs `sms-agent migrate`, the worker and the projector as child processes
 * (as production does), the API (its role code plus one empty route, bench/support/api-process.ts),
 * the Twilio and OpenAI fakes, and drives Twilio-signed webhooks over keep-alive HTTP.
 *
 *   npm run bench [-- --json] [-- --seconds 10 --burst 1000 --concurrency 32]
 *
 * Every SMS comes from a number of its own, so the per-person quota never limits the load.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createEventStore } from '../eventstore/index.js';
import { createPool } from '../infra/db.js';
import { freePort } from '../infra/ports.js';
import { type BroadcastResult, measureBroadcast } from './support/broadcast.js';
import { type Diagnostics, sampleDiagnostics } from './support/diagnostics.js';
import { type E2eResult, measureEndToEnd } from './support/e2e.js';
import { HttpClient } from './support/http-client.js';
import { startBenchInfra } from './support/infra.js';
import { type IngestResult, type Load, measureIngest, type PreparedRequest } from './support/ingest.js';
import { cpuSecondsOf, machineBusy, memoryOf, untilQuiet } from './support/proc.js';
import { projectionsCaughtUp, sampleProjectionLag } from './support/projection-lag.js';
import { ReplyTracker } from './support/replies.js';
import {
  ROOT,
  type RoleProcess,
  spawnRole,
  untilHealthy,
  untilInboxDrained,
  untilWorkerPolls,
} from './support/roles.js';
import { fmt, ratio, type Summary, summarize, table } from './support/stats.js';
import { inboundForm, messageSid, phoneNumber, signedForm } from './support/twilio-webhook.js';
import { measureWorkflowCeiling, type WorkflowCeiling } from './support/workflow-ceiling.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    /** Length of each ingest and ceiling measurement. */
    seconds: { type: 'string', default: '10' },
    /** SMS per end-to-end burst (the 2-second model then has this many in flight). */
    burst: { type: 'string', default: '1000' },
    /** Senders in the closed-loop (saturation) measurements. */
    concurrency: { type: 'string', default: '32' },
    'temporal-address': { type: 'string' },
    'log-level': { type: 'string', default: 'warn' },
    /** Write a V8 CPU profile of the worker (node --cpu-prof) into this folder when it stops. */
    'profile-worker': { type: 'string' },
    keep: { type: 'boolean', default: false },
    /** The broadcast row: recipients, at this BROADCAST_RATE_PER_SECOND. */
    'broadcast-recipients': { type: 'string', default: '300' },
    'broadcast-rate': { type: 'string', default: '20' },
  },
});
const SECONDS = Number(args.seconds);
const BURST = Number(args.burst);
const CONCURRENCY = Number(args.concurrency);
const RATES = [50, 100, 200];
const STEADY = { rate: 50, seconds: 10 };
const SMS_QUEUE = 'bench-sms';
/** The ingest runs start workflows on a queue no worker polls: they measure the webhook alone. */
const INGEST_QUEUE = 'bench-ingest-unpolled';
const EMPTY_QUEUE = 'bench-empty';
const BROADCAST = { recipients: Number(args['broadcast-recipients']), rate: Number(args['broadcast-rate']) };
const ADMIN_TOKEN = 'bench-admin-token-0123456789';

const TARGETS = {
  ingestP99Ms: 25,
  e2ePerSecond: 50,
  e2eP50Ms: 300,
  slowModelShare: 0.8,
  workerPeakMiB: 1024,
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`;

async function main() {
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadAverageBefore: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
  const busy = machineBusy();
  const infra = await startBenchInfra({ temporalAddress: args['temporal-address'], log });
  const roles: RoleProcess[] = [];
  const logFile = (name: string) => path.join(infra.dir, 'logs', `${name}.log`);
  const apiPort = await freePort();
  const publicUrl = `http://127.0.0.1:${apiPort}`;
  const env = (extra: Record<string, string> = {}) =>
    infra.roleEnv({
      LOG_LEVEL: args['log-level'],
      PORT: String(apiPort),
      PUBLIC_URL: publicUrl,
      TEMPORAL_TASK_QUEUE: SMS_QUEUE,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      BROADCAST_RATE_PER_SECOND: String(BROADCAST.rate),
      // SMS_AGENT_RUNTIME=source runs the roles from the sources even where a (stale) dist/ exists.
      ...(process.env.SMS_AGENT_RUNTIME ? { SMS_AGENT_RUNTIME: process.env.SMS_AGENT_RUNTIME } : {}),
      ...extra,
    });
  const store = createEventStore({ url: infra.databaseUrl });
  const pool = createPool(infra.databaseUrl, { max: 4, applicationName: 'bench' });
  let failed = false;
  try {
    log(`[${elapsed()}] migrating`);
    const migrate = spawnRole('migrate', { role: 'migrate' }, env(), logFile('migrate'));
    const migrated = await migrate.exited;
    if (migrated.code !== 0) throw new Error(`sms-agent migrate failed; see ${logFile('migrate')}`);

    log(`[${elapsed()}] starting worker, projector, API and the ceiling worker`);
    const profile = args['profile-worker'];
    const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] : [];
    const worker = spawnRole('worker', { role: 'worker', nodeArgs }, env(), logFile('worker'));
    const projector = spawnRole('projector', { role: 'projector' }, env(), logFile('projector'));
    const apiScript = path.join(ROOT, 'bench/support/api-process.ts');
    // First with the inbox starter paused (BENCH_INBOX=off): the webhook alone, no workflow starts.
    let api = spawnRole(
      'api',
      { script: apiScript },
      env({ TEMPORAL_TASK_QUEUE: INGEST_QUEUE, BENCH_INBOX: 'off' }),
      logFile('api'),
    );
    const emptyWorker = spawnRole(
      'empty-worker',
      { script: path.join(ROOT, 'bench/support/empty-worker.ts') },
      { TEMPORAL_ADDRESS: infra.temporalAddress, TASK_QUEUE: EMPTY_QUEUE },
      logFile('empty-worker'),
    );
    roles.push(worker, projector, api, emptyWorker);
    await Promise.all([
      untilHealthy(`${publicUrl}/health`, api),
      untilWorkerPolls(infra.client, SMS_QUEUE, worker),
      untilWorkerPolls(infra.client, EMPTY_QUEUE, emptyWorker),
    ]);

    // The worker's memory: VmHWM is the kernel's peak (start-up bundling included); RSS is sampled under load.
    let workerPeakRssMiB = 0;
    const memorySampler = setInterval(() => {
      workerPeakRssMiB = Math.max(workerPeakRssMiB, memoryOf(worker.pid)?.rssMiB ?? 0);
    }, 250);
    const cpu = cpuMeter({
      api: () => api.pid,
      worker: () => worker.pid,
      projector: () => projector.pid,
      'ceiling worker': () => emptyWorker.pid,
      temporal: () => infra.temporalPids,
      postgres: () => infra.postgres.pid,
    });

    // 1. Ingest: the signed webhook against an empty route of the same server, same loads.
    log(`[${elapsed()}] ingest (${SECONDS} s per load)`);
    let http = new HttpClient(publicUrl);
    const url = `${publicUrl}/sms/receive`;
    const signed =
      (phase: number, route = '/sms/receive') =>
      (i: number): PreparedRequest => {
        const sms = { sid: messageSid(phase, i), from: phoneNumber(phase * 60_000 + i), body: 'Is this fast?' };
        return { path: route, ...signedForm(url, inboundForm(sms)) };
      };
    await measureIngest(http, { concurrency: 8, seconds: 2 }, signed(0));
    await measureIngest(http, { concurrency: 8, seconds: 2 }, signed(0, '/bench/empty'));
    const loads: Load[] = [
      ...RATES.map((rate) => ({ rate, seconds: SECONDS })),
      { concurrency: CONCURRENCY, seconds: SECONDS },
    ];
    const ingest: { ours: IngestResult; ceiling: IngestResult; cpu: CpuShare }[] = [];
    // Each workflow started leaves the server work to finish after the ack: let it, between runs.
    const serversQuiet = () => untilQuiet(() => [...infra.temporalPids, infra.postgres.pid]);

    // 1a. The webhook alone at the top rate: SmsReceived appended (and projected), no starts yet.
    const top = { rate: RATES.at(-1) as number, seconds: SECONDS };
    await serversQuiet();
    {
      const mark = cpu.mark();
      // Phases: 0 warm-up, 1-4 the loads below, 6 this one, 8 and up end to end.
      const alone = await measureIngest(http, top, signed(6));
      const cpuShare = mark.share();
      await serversQuiet();
      const ceiling = await measureIngest(http, top, signed(6, '/bench/empty'));
      ingest.push({ ours: { ...alone, load: `${alone.load}, starts paused` }, ceiling, cpu: cpuShare });
      log(`  ${alone.load}, inbox starter paused: ${fmt(alone.acksPerSecond)} acks/s, p99 ${alone.latencyMs.p99} ms`);
    }
    // 1b. The API as deployed: its inbox starter starts those workflows now, then each load in turn.
    http.close();
    await api.stop('SIGTERM');
    api = spawnRole('api', { script: apiScript }, env({ TEMPORAL_TASK_QUEUE: INGEST_QUEUE }), logFile('api'));
    roles.push(api);
    await untilHealthy(`${publicUrl}/health`, api);
    http = new HttpClient(publicUrl);
    // The webhook appends SmsReceived and answers; the API's inbox starter then starts the
    // workflows (on a queue no worker polls): wait for it to finish before the next measurement.
    const drained = async () => {
      await untilInboxDrained(publicUrl);
      await serversQuiet();
    };
    for (const [k, load] of loads.entries()) {
      await drained();
      const mark = cpu.mark();
      const ours = await measureIngest(http, load, signed(k + 1));
      const cpuShare = mark.share();
      await drained();
      const ceiling = await measureIngest(http, load, signed(k + 1, '/bench/empty'));
      ingest.push({ ours, ceiling, cpu: cpuShare });
      log(`  ${ours.load}: ${fmt(ours.acksPerSecond)} acks/s, p99 ${ours.latencyMs.p99} ms`);
    }
    http.close();

    // The API again, now starting workflows on the worker's queue (none of the ingest SMS left).
    await drained();
    await api.stop('SIGTERM');
    api = spawnRole('api', { script: apiScript }, env(), logFile('api'));
    roles.push(api);
    await untilHealthy(`${publicUrl}/health`, api);
    http = new HttpClient(publicUrl);

    // 2. Temporal ceilings: the same server running workflows with nothing of ours inside.
    log(`[${elapsed()}] Temporal ceilings`);
    const ceilings: (WorkflowCeiling & { cpu: CpuShare })[] = [];
    for (const [scenario, workflowType, wfArgs, load] of [
      ['empty workflow, one at a time', 'emptyWorkflow', [], { concurrency: 1, seconds: SECONDS }],
      ['empty workflow, saturation', 'emptyWorkflow', [], { concurrency: 64, seconds: SECONDS }],
      // smsTask's shape for an answered SMS: the AI call remote, six quick steps local.
      [
        '1 no-op + 6 local activities, one at a time',
        'mixedActivitiesWorkflow',
        [1, 6],
        { concurrency: 1, seconds: SECONDS },
      ],
      [
        '1 no-op + 6 local activities, saturation',
        'mixedActivitiesWorkflow',
        [1, 6],
        { concurrency: 64, seconds: SECONDS },
      ],
      // The same steps all remote (smsTask before patch 'quick-steps-local'), for comparison.
      ['7 no-op activities, saturation', 'noopActivitiesWorkflow', [7], { concurrency: 64, seconds: SECONDS }],
    ] as const) {
      await serversQuiet();
      const mark = cpu.mark();
      const result = await measureWorkflowCeiling(infra.client, {
        taskQueue: EMPTY_QUEUE,
        scenario,
        workflowType,
        args: [...wfArgs],
        load,
      });
      ceilings.push({ ...result, cpu: mark.share() });
      log(`  ${scenario}: ${fmt(result.workflowsPerSecond)}/s, p50 ${result.latencyMs.p50} ms`);
    }
    await emptyWorker.stop('SIGTERM');

    // 3. End to end: webhook to the reply at the fake Twilio.
    const tracker = new ReplyTracker(infra.twilio);
    const lag = sampleProjectionLag(store, pool);
    const e2e: { result: E2eResult; cpu: CpuShare; waits: Diagnostics }[] = [];
    const settle = async () => {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && !(await projectionsCaughtUp(store, pool))) await sleepMs(250);
    };
    const scenarios = [
      { scenario: 'instant model, one at a time', load: { sequential: 20 }, latencyMs: 0 },
      { scenario: `instant model, ${STEADY.rate}/s for ${STEADY.seconds} s`, load: STEADY, latencyMs: 0 },
      { scenario: `instant model, ${BURST} at once`, load: { concurrency: CONCURRENCY, count: BURST }, latencyMs: 0 },
      {
        scenario: `2-second model, ${BURST} at once`,
        load: { concurrency: CONCURRENCY, count: BURST },
        latencyMs: 2000,
      },
    ];
    for (const [k, s] of scenarios.entries()) {
      log(`[${elapsed()}] end to end: ${s.scenario}`);
      infra.openai.knobs.latencyMs = s.latencyMs;
      await serversQuiet();
      const mark = cpu.mark();
      const diagnostics = sampleDiagnostics(infra.client, SMS_QUEUE, pool);
      const result = await measureEndToEnd({
        http,
        tracker,
        publicUrl,
        scenario: s.scenario,
        phase: 8 + k,
        load: s.load,
        timeoutMs: 180_000,
        log,
      });
      e2e.push({ result, cpu: mark.share(), waits: await diagnostics.stop() });
      log(
        `  ${fmt(result.completedPerSecond)} SMS/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms` +
          ` (${result.answered}/${result.sms} answered)`,
      );
      await settle();
    }
    // 4. A broadcast: its send rate against the configured one, and its Temporal history per person.
    log(`[${elapsed()}] broadcast: ${BROADCAST.recipients} recipients at ${BROADCAST.rate}/s`);
    await serversQuiet();
    const broadcast = await measureBroadcast({
      publicUrl,
      adminToken: ADMIN_TOKEN,
      client: infra.client,
      twilio: infra.twilio,
      recipients: BROADCAST.recipients,
      configuredPerSecond: BROADCAST.rate,
    });
    log(
      `  ${fmt(broadcast.sentPerSecond)} messages/s, ${fmt(broadcast.temporalEventsPerRecipient, 2)} Temporal events per recipient`,
    );
    const lagSamples = await lag.stop();
    clearInterval(memorySampler);
    const workerMemory = memoryOf(worker.pid);
    http.close();

    const figures = {
      machine: { ...machine, busyDuringRun: Math.round(busy() * 100) / 100 },
      settings: {
        seconds: SECONDS,
        burst: BURST,
        concurrency: CONCURRENCY,
        logLevel: args['log-level'],
        postgres: 'embedded, default durability (fsync on)',
        workerMaxConcurrentActivities: 500,
        quota: 'defaults; every SMS from a distinct number',
      },
      ingest,
      ceilings,
      e2e,
      broadcast,
      workerMemoryMiB: { hwm: workerMemory?.hwmMiB, peakRssUnderLoad: workerPeakRssMiB },
      projectionLagSeconds: summarize(lagSamples),
      durationSeconds: Math.round((Date.now() - started) / 1000),
    };
    const verdicts = judge(figures);
    if (args.json) process.stdout.write(`${JSON.stringify({ ...figures, targets: verdicts })}\n`);
    else process.stdout.write(report(figures, verdicts));
  } catch (error) {
    failed = true;
    log(`benchmark failed: ${(error as Error).stack ?? error}`);
    log(`logs kept in ${path.join(infra.dir, 'logs')}`);
    args.keep = true;
  } finally {
    for (const role of roles.reverse()) await role.stop('SIGTERM');
    await store.close();
    await pool.end();
    await infra.close({ keepDir: args.keep });
  }
  // Misses are reported in the table; the exit code says only whether the run itself worked.
  return failed;
}

type Figures = {
  machine: Record<string, unknown> & { busyDuringRun: number; loadAverageBefore: number[] };
  ingest: { ours: IngestResult; ceiling: IngestResult; cpu: CpuShare }[];
  ceilings: (WorkflowCeiling & { cpu: CpuShare })[];
  e2e: { result: E2eResult; cpu: CpuShare; waits: Diagnostics }[];
  broadcast: BroadcastResult;
  workerMemoryMiB: { hwm?: number; peakRssUnderLoad: number };
  projectionLagSeconds: Summary;
  durationSeconds: number;
  settings: Record<string, unknown>;
};

interface Verdict {
  target: string;
  measured: string;
  pass: boolean;
}

function judge(f: Figures): Verdict[] {
  const at200 = f.ingest.find((i) => i.ours.load === '200/s open loop')?.ours;
  const [, steady, burst, slow] = f.e2e.map((e) => e.result);
  const share = slow && burst ? slow.completedPerSecond / burst.completedPerSecond : Number.NaN;
  const hwm = f.workerMemoryMiB.hwm ?? Number.NaN;
  return [
    {
      target: `ingest p99 <= ${TARGETS.ingestP99Ms} ms at 200/s`,
      measured: `${at200?.latencyMs.p99 ?? '-'} ms`,
      pass: (at200?.latencyMs.p99 ?? Number.POSITIVE_INFINITY) <= TARGETS.ingestP99Ms,
    },
    {
      target: `end to end >= ${TARGETS.e2ePerSecond} SMS/s (instant model, burst)`,
      measured: `${fmt(burst?.completedPerSecond)} SMS/s`,
      pass: (burst?.completedPerSecond ?? 0) >= TARGETS.e2ePerSecond && burst?.answered === burst?.sms,
    },
    {
      target: `end to end p50 <= ${TARGETS.e2eP50Ms} ms (instant model, ${STEADY.rate}/s)`,
      measured: `${steady?.latencyMs.p50 ?? '-'} ms`,
      pass: (steady?.latencyMs.p50 ?? Number.POSITIVE_INFINITY) <= TARGETS.e2eP50Ms,
    },
    {
      target: `2-second model >= ${TARGETS.slowModelShare * 100}% of instant throughput`,
      measured: Number.isFinite(share) ? `${Math.round(share * 100)}%` : '-',
      pass: share >= TARGETS.slowModelShare && slow?.answered === slow?.sms,
    },
    {
      target: `worker peak memory < ${TARGETS.workerPeakMiB} MiB`,
      measured: `${fmt(hwm, 0)} MiB (VmHWM)`,
      pass: hwm < TARGETS.workerPeakMiB,
    },
  ];
}

function report(f: Figures, verdicts: Verdict[]): string {
  const m = f.machine;
  const out: string[] = [
    `Pipeline benchmark: ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, node ${m.node}; ` +
      `load average before ${m.loadAverageBefore.join(' ')}; machine ${Math.round(m.busyDuringRun * 100)}% busy during the run; ` +
      `${f.durationSeconds} s in all.`,
    '',
  ];
  const fails = (r: IngestResult) =>
    Object.entries(r.failures)
      .map(([k, v]) => `${v}x${k}`)
      .join(' ') || '0';
  out.push(
    table(
      'Ingest: POST /sms/receive (Twilio-signed; appends SmsReceived, the inbox starts the workflow) vs POST /bench/empty (same server, empty route)',
      [
        'load',
        'acks/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'errors',
        'empty acks/s',
        'empty p50',
        'empty p99',
        'thru %',
        'p99 x',
      ],
      f.ingest.map(({ ours, ceiling }) => [
        ours.load,
        fmt(ours.acksPerSecond),
        fmt(ours.latencyMs.p50),
        fmt(ours.latencyMs.p99),
        fmt(ours.latencyMs.max),
        fails(ours),
        fmt(ceiling.acksPerSecond),
        fmt(ceiling.latencyMs.p50),
        fmt(ceiling.latencyMs.p99),
        ratio(ours.acksPerSecond, ceiling.acksPerSecond),
        `${fmt(ours.latencyMs.p99 / ceiling.latencyMs.p99)}x`,
      ]),
    ),
  );
  out.push(
    table(
      'Temporal ceilings: the same server, a worker process with the SMS worker settings',
      ['scenario', 'workflows/s', 'p50 ms', 'p99 ms', 'failed'],
      f.ceilings.map((c) => [
        c.scenario,
        fmt(c.workflowsPerSecond),
        fmt(c.latencyMs.p50),
        fmt(c.latencyMs.p99),
        c.failed,
      ]),
    ),
  );
  const empty1 = f.ceilings.find((c) => c.scenario === 'empty workflow, one at a time');
  const emptySat = f.ceilings.find((c) => c.scenario === 'empty workflow, saturation');
  const noop1 = f.ceilings.find((c) => c.scenario === '1 no-op + 6 local activities, one at a time');
  const noopSat = f.ceilings.find((c) => c.scenario === '1 no-op + 6 local activities, saturation');
  out.push(
    table(
      'End to end: webhook to reply at the fake Twilio (1 activity + 6 local activities, ~10 events per SMS)',
      [
        'scenario',
        'SMS',
        'answered',
        'SMS/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'peak in flight',
        'ack p99',
        'vs empty wf',
        'vs 1+6 no-op',
      ],
      f.e2e.map(({ result: r }, k) => {
        // Paced runs compare latency with the ceiling's unloaded p50; bursts compare throughput.
        const paced = k < 2;
        const vsEmpty = paced
          ? `${fmt(r.latencyMs.p50 / (empty1?.latencyMs.p50 ?? Number.NaN))}x p50`
          : ratio(r.completedPerSecond, emptySat?.workflowsPerSecond ?? 0);
        const vsNoop = paced
          ? `${fmt(r.latencyMs.p50 / (noop1?.latencyMs.p50 ?? Number.NaN))}x p50`
          : ratio(r.completedPerSecond, noopSat?.workflowsPerSecond ?? 0);
        return [
          r.scenario,
          r.sms,
          r.answered,
          fmt(r.completedPerSecond),
          fmt(r.latencyMs.p50),
          fmt(r.latencyMs.p99),
          fmt(r.latencyMs.max),
          r.peakInFlight,
          fmt(r.ackMs.p99),
          vsEmpty,
          vsNoop,
        ];
      }),
    ),
  );
  const b = f.broadcast;
  out.push(
    table(
      'Broadcast: POST /api/broadcasts to fresh numbers, one workflow paced at BROADCAST_RATE_PER_SECOND',
      ['recipients', 'configured /s', 'sent /s', 'of configured', 'seconds', 'runs', 'Temporal events per recipient'],
      [
        [
          b.recipients,
          fmt(b.configuredPerSecond),
          fmt(b.sentPerSecond),
          ratio(b.sentPerSecond, b.configuredPerSecond),
          fmt(b.seconds),
          b.runs,
          fmt(b.temporalEventsPerRecipient, 2),
        ],
      ],
    ),
  );
  out.push(
    table(
      'Resources',
      ['figure', 'value'],
      [
        ['worker peak memory (VmHWM, start-up bundling included)', `${fmt(f.workerMemoryMiB.hwm, 0)} MiB`],
        ['worker peak RSS sampled under load', `${fmt(f.workerMemoryMiB.peakRssUnderLoad, 0)} MiB`],
        [
          'projection lag during end to end (p50 / p99 / max)',
          `${f.projectionLagSeconds.p50} / ${f.projectionLagSeconds.p99} / ${f.projectionLagSeconds.max} s`,
        ],
      ],
    ),
  );
  const apps = [...new Set(f.e2e.flatMap((e) => Object.keys(e.waits.busyConnectionsMax)))].sort();
  out.push(
    table(
      'Where end to end waits: task backlog on the Temporal server (not yet taken by the worker), busiest PostgreSQL connections by application',
      ['scenario', 'workflow tasks', 'activity tasks', 'oldest s', ...apps.map((a) => `pg ${a || '(unnamed)'}`)],
      f.e2e.map(({ result, waits }) => [
        result.scenario,
        waits.workflowBacklogMax,
        waits.activityBacklogMax,
        fmt(waits.backlogAgeMaxSeconds),
        ...apps.map((a) => waits.busyConnectionsMax[a] ?? 0),
      ]),
    ),
  );
  const phases = [
    ...f.ingest.map((i) => [`ingest ${i.ours.load}`, i.cpu] as const),
    ...f.ceilings.map((c) => [`ceiling: ${c.scenario}`, c.cpu] as const),
    ...f.e2e.map((e) => [e.result.scenario, e.cpu] as const),
  ];
  const names = Object.keys(phases[0]?.[1] ?? {});
  out.push(
    table(
      'CPU by process during each phase (cores; the machine has ' + m.cpus + ')',
      ['phase', ...names],
      phases.map(([phase, share]) => [phase, ...names.map((n) => fmt(share[n], 2))]),
    ),
  );
  out.push(
    table(
      'Targets',
      ['target', 'measured', 'verdict'],
      verdicts.map((v) => [v.target, v.measured, v.pass ? 'PASS' : 'MISS']),
    ),
  );
  return `${out.join('\n')}\n`;
}

type CpuShare = Record<string, number>;

/** CPU seconds per process tree between two points, as cores used (1.0 = one core busy). */
function cpuMeter(pids: Record<string, () => number | number[]>) {
  const read = () => {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const list = [pid()].flat();
      out[name] = list.reduce((s, p) => s + cpuSecondsOf(p), 0);
    }
    const self = process.cpuUsage();
    out['bench (load + fakes)'] = (self.user + self.system) / 1e6;
    return out;
  };
  return {
    mark() {
      const before = read();
      const at = performance.now();
      return {
        share(): CpuShare {
          const after = read();
          const seconds = (performance.now() - at) / 1000;
          return Object.fromEntries(
            Object.keys(after).map((k) => [k, Math.max(0, ((after[k] ?? 0) - (before[k] ?? 0)) / seconds)]),
          );
        },
      };
    },
  };
}

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

const failed = await main();
process.exit(failed ? 1 : 0);
