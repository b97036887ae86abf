/**
 * Chaos soak: N SMS through the whole pipeline while it is being hurt, then checks that nothing
 * was lost or doubled. Faults: duplicate webhook deliveries (the same MessageSid again, at once or
 * later), transient AI failures, Twilio 5xx, the worker and the projector (child processes, as in
 * production) killed with SIGKILL and restarted, PostgreSQL stopped and started on the same data.
 *
 *   npm run soak -- --sms 2000 --duration 300 [--kills 3 --pg-restarts 1 --seed 1 --json]
 *
 * Invariants checked at the end (exit code 1 if any fails): every SMS got exactly one reply, no
 * event id twice and no step recorded twice, every task stream reached TaskCompleted, and the
 * read models equal a fresh rebuild from the log, row by row.
 */
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createEventStore } from '../eventstore/index.js';
import { createPool } from '../infra/db.js';
import { freePort } from '../infra/ports.js';
import { rebuildReadModels } from '../projections/runtime/rebuild.js';
import { READ_MODEL_SCHEMA } from '../projections/shared/sql.js';
import { type ChaosStep, chaosPlan, Restartable } from './support/chaos.js';
import { QUESTIONS } from './support/e2e.js';
import { HttpClient } from './support/http-client.js';
import { startBenchInfra } from './support/infra.js';
import {
  eventsInvariants,
  type Invariant,
  repliesInvariant,
  type TaskTerminals,
  taskTerminals,
  terminalInvariant,
} from './support/invariants.js';
import { openLoop } from './support/load.js';
import { rng } from './support/prng.js';
import { projectionsCaughtUp } from './support/projection-lag.js';
import { diffReadModels } from './support/read-model-diff.js';
import { ReplyTracker } from './support/replies.js';
import { spawnRole, untilHealthy, untilWorkerPolls } from './support/roles.js';
import { table } from './support/stats.js';
import { inboundForm, messageSid, phoneNumber, signedForm } from './support/twilio-webhook.js';

const { values: args } = parseArgs({
  options: {
    sms: { type: 'string', default: '2000' },
    /** Seconds over which the SMS are sent (and the faults spread). */
    duration: { type: 'string', default: '300' },
    /** SIGKILL + restart of the worker, and of the projector, this many times each. */
    kills: { type: 'string', default: '3' },
    /** SIGKILL of the worker the moment Twilio accepts one of its messages (before ReplySent). */
    'send-kills': { type: 'string', default: '3' },
    'pg-restarts': { type: 'string', default: '1' },
    duplicates: { type: 'string', default: '0.1' },
    'ai-failures': { type: 'string', default: '0.2' },
    'twilio-failures': { type: 'string', default: '0.1' },
    /** Longest wait, after the last send, for every task to finish. */
    wait: { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    'temporal-address': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(args.sms);
const DURATION_MS = Number(args.duration) * 1000;
const KILLS = Number(args.kills);
const SEND_KILLS = Number(args['send-kills']);
const PG_RESTARTS = Number(args['pg-restarts']);
const DUPLICATES = Number(args.duplicates);
const SEED = Number(args.seed);
const random = rng(SEED);
const TASK_QUEUE = `soak-${SEED}-${Date.now().toString(36)}`;
/** People text more than once (their quota and conversation streams are contended); ~4 SMS each. */
const PEOPLE = Math.max(1, Math.ceil(N / 4));

const started = Date.now();
const log = (line: string) => process.stderr.write(`[${Math.round((Date.now() - started) / 1000)}s] ${line}\n`);

async function main(): Promise<boolean> {
  const infra = await startBenchInfra({ temporalAddress: args['temporal-address'], random: random.next, log });
  const logFile = (name: string) => path.join(infra.dir, 'logs', `${name}.log`);
  const apiPort = await freePort();
  const publicUrl = `http://127.0.0.1:${apiPort}`;
  const env = infra.roleEnv({
    PORT: String(apiPort),
    PUBLIC_URL: publicUrl,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    // ~4 SMS per person within minutes: quotas high enough that none is rate limited (that reply
    // is sent once per window, which would read as a lost reply).
    QUOTA_FREE_PER_MINUTE: '1000',
    QUOTA_FREE_PER_DAY: '100000',
    QUOTA_FREE_PER_MONTH: '1000000',
  });
  // Slow enough that kills catch AI calls in flight; failures drawn from the seeded PRNG.
  infra.openai.knobs.latencyMs = 300;
  infra.openai.knobs.failureRate = Number(args['ai-failures']);
  infra.twilio.knobs.failureRate = Number(args['twilio-failures']);
  const stops: (() => Promise<void>)[] = [];
  const events: { atS: number; what: string }[] = [];
  const note = (what: string) => {
    events.push({ atS: Math.round((Date.now() - started) / 100) / 10, what });
    log(what);
  };
  let ok = false;
  try {
    const migrate = spawnRole('migrate', { role: 'migrate' }, env, logFile('migrate'));
    if ((await migrate.exited).code !== 0) throw new Error(`sms-agent migrate failed; see ${logFile('migrate')}`);
    let generation = 0;
    const worker = new Restartable(() => spawnRole('worker', { role: 'worker' }, env, logFile(`worker-${generation}`)));
    const projector = new Restartable(() =>
      spawnRole('projector', { role: 'projector' }, env, logFile(`projector-${generation}`)),
    );
    const api = spawnRole('api', { role: 'api' }, { ...env, LOG_LEVEL: 'info' }, logFile('api'));
    stops.push(
      () => api.stop(),
      () => worker.current.stop(),
      () => projector.current.stop(),
    );
    await Promise.all([
      untilHealthy(`${publicUrl}/health`, api),
      untilWorkerPolls(infra.client, TASK_QUEUE, worker.current),
    ]);
    note(`stack up: api, worker, projector on task queue ${TASK_QUEUE}`);

    // Faults, on a schedule relative to the start of sending.
    const plan = chaosPlan(DURATION_MS, KILLS, PG_RESTARTS, SEND_KILLS);
    let sendKills = 0;
    const sendingStarted = Date.now();
    const faultsAt: { what: ChaosStep['what']; at: number }[] = [];
    const runStep = async (step: ChaosStep) => {
      faultsAt.push({ what: step.what, at: Date.now() });
      if (step.what === 'kill worker') {
        const next = await worker.crashAndRestart();
        note(`worker SIGKILLed; restarted as pid ${next.pid}`);
        const killedAt = Date.now();
        untilWorkerPolls(infra.client, TASK_QUEUE, next)
          .then(() =>
            note(`worker pid ${next.pid} polling again after ${((Date.now() - killedAt) / 1000).toFixed(1)} s`),
          )
          .catch((e) => note(`worker pid ${next.pid} did not come back: ${(e as Error).message}`));
      } else if (step.what === 'kill worker after send') {
        // Armed once: the next message Twilio accepts, the worker that sent it dies before the
        // 201 reaches it, so ReplySent is never appended; another worker replays and resends
        // from attempt 1 of the local send step, which must find the message at Twilio.
        await new Promise<void>((armed) => {
          infra.twilio.knobs.onAccepted = async (message) => {
            infra.twilio.knobs.onAccepted = undefined;
            const next = await worker.crashAndRestart();
            sendKills++;
            note(`worker SIGKILLed as Twilio accepted ${message.sid}; restarted as pid ${next.pid}`);
            armed();
          };
        });
      } else if (step.what === 'kill projector') {
        const next = await projector.crashAndRestart();
        note(`projector SIGKILLed; restarted as pid ${next.pid}`);
      } else {
        note('PostgreSQL stopping');
        const { downMs } = await infra.restartPostgres(2_000);
        note(`PostgreSQL back after ${(downMs / 1000).toFixed(1)} s down`);
      }
    };

    const chaos = (async () => {
      for (const step of plan) {
        await sleep(Math.max(0, sendingStarted + step.atMs - Date.now()));
        generation++;
        await runStep(step);
      }
    })();
    // Traffic: N SMS at an even rate; some delivered twice, as Twilio sometimes does.
    const http = new HttpClient(publicUrl);
    const url = `${publicUrl}/sms/receive`;
    const sids: string[] = [];
    const webhook = {
      sent: 0,
      duplicates: 0,
      concurrentDuplicates: 0,
      retried: 0,
      gaveUp: 0,
      non2xx: {} as Record<string, number>,
    };
    const post = async (form: Record<string, string>) => {
      const { body, headers } = signedForm(url, form);
      // Twilio retries a webhook that failed to answer; a few tries with backoff.
      for (let attempt = 0; attempt < 6; attempt++) {
        if (attempt > 0) webhook.retried++;
        const res = await http.post('/sms/receive', body, headers).catch(() => undefined);
        const status = res ? String(res.status) : 'no answer';
        if (res && res.status >= 200 && res.status < 300) return;
        webhook.non2xx[status] = (webhook.non2xx[status] ?? 0) + 1;
        await sleep(500 * 2 ** attempt);
      }
      webhook.gaveUp++;
    };
    const later: Promise<void>[] = [];
    const plans = Array.from({ length: N }, () => ({
      duplicate: random.chance(DUPLICATES),
      concurrent: random.chance(0.5),
      laterMs: random.int(2_000, 60_000),
      person: random.int(0, PEOPLE - 1),
      question: random.pick(QUESTIONS),
    }));
    log(`sending ${N} SMS over ${DURATION_MS / 1000} s`);
    let lastProgress = Date.now();
    await openLoop(N / (DURATION_MS / 1000), DURATION_MS / 1000, async (i) => {
      const p = plans[i]!;
      const sid = messageSid(1, i);
      sids.push(sid);
      const form = inboundForm({ sid, from: phoneNumber(p.person), body: `${p.question} (${i})` });
      webhook.sent++;
      if (Date.now() - lastProgress > 15_000) {
        lastProgress = Date.now();
        log(`sent ${webhook.sent}/${N}`);
      }
      if (!p.duplicate) return post(form);
      webhook.duplicates++;
      if (p.concurrent) {
        webhook.concurrentDuplicates++;
        await Promise.all([post(form), post(form)]);
        return;
      }
      await post(form);
      later.push(sleep(p.laterMs).then(() => post(form)));
    });
    note(`all ${N} SMS sent (${webhook.duplicates} delivered twice); waiting for late duplicates and faults`);
    await chaos;
    await Promise.all(later);
    http.close();

    // Wait until every task has a terminal event (completed, or failed and waiting for a retry signal).
    const pool = createPool(infra.databaseUrl, { max: 4, applicationName: 'soak' });
    const store = createEventStore({ url: infra.databaseUrl });
    stops.push(
      () => pool.end(),
      () => store.close(),
    );
    const deadline = Date.now() + Number(args.wait) * 1000;
    let terminals: TaskTerminals = await taskTerminals(pool, sids);
    while (terminals.completed + terminals.failed < N && Date.now() < deadline) {
      await sleep(2_000);
      terminals = await taskTerminals(pool, sids).catch(() => terminals);
      if (Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        log(
          `${terminals.completed} completed, ${terminals.failed} failed, ${terminals.unfinished + terminals.missing} to go`,
        );
      }
    }
    note(`tasks settled: ${terminals.completed} completed, ${terminals.failed} failed`);
    // A task can fail for good by design (every paid AI call of its round failed): then ops do what
    // they do in production, fix the cause and send a retry signal. It must still get one reply.
    const opsRetried = [...terminals.failedSids];
    if (opsRetried.length > 0) {
      infra.openai.knobs.heal();
      infra.twilio.knobs.failureRate = 0;
      note(
        `ops: ${opsRetried.length} tasks need attention (${JSON.stringify(terminals.failures)}); faults healed, retry sent`,
      );
      for (const sid of opsRetried) {
        await infra.client.workflow.getHandle(`sms-${sid}`).signal('retry', { requestedBy: 'soak-ops' });
      }
      while (terminals.completed < N && Date.now() < deadline + 120_000) {
        await sleep(1_000);
        terminals = await taskTerminals(pool, sids).catch(() => terminals);
      }
      note(`after the ops retries: ${terminals.completed} completed, ${terminals.failed} failed`);
    }
    const projectorDeadline = Date.now() + 120_000;
    while (!(await projectionsCaughtUp(store, pool).catch(() => false)) && Date.now() < projectorDeadline)
      await sleep(500);
    note('projector caught up; stopping it and rebuilding the read models from the log');
    await projector.current.stop('SIGTERM');

    // Checks.
    const tracker = new ReplyTracker(infra.twilio);
    const replies = repliesInvariant(tracker, sids);
    // A doubled reply whose first copy went out just before a fault names its cause.
    const causes: Record<string, number> = {};
    for (const sid of replies.doubled) {
      const arrivals = tracker.arrivals.get(sid) ?? [];
      const first = arrivals[0] ?? 0;
      const fault = faultsAt.find((f) => first >= f.at - 3_000 && first <= f.at + 500);
      const cause = fault ? `first copy sent just before "${fault.what}"` : 'no fault nearby';
      causes[cause] = (causes[cause] ?? 0) + 1;
      const at = arrivals.map((t) => `${((t - started) / 1000).toFixed(1)} s`);
      note(`doubled reply: ${sid} answered at ${at.join(' and ')} (${cause})`);
    }
    if (replies.doubled.length > 0) {
      replies.detail += ` (${Object.entries(causes)
        .map(([cause, n]) => `${n} ${cause}`)
        .join('; ')})`;
    }
    const lostButFailed = replies.lost.filter((sid) => terminals.failedSids.includes(sid)).length;
    if (replies.lost.length > 0) replies.detail += ` (${lostButFailed} of the lost are failed tasks)`;
    const invariants: Invariant[] = [replies, ...(await eventsInvariants(pool, sids)), terminalInvariant(terminals, N)];
    // Visibility trails the workflows' completion a little (TaskCompleted is appended just before it).
    const countRunning = () =>
      infra.client.workflow
        .count(`TaskQueue = "${TASK_QUEUE}" AND ExecutionStatus = "Running"`)
        .then((c) => c.count)
        .catch(() => Number.NaN);
    let running = await countRunning();
    for (let i = 0; i < 30 && running !== terminals.failed; i++) {
      await sleep(500);
      running = await countRunning();
    }
    invariants.push({
      name: 'no workflow left running except failed ones awaiting a retry signal',
      pass: running === terminals.failed,
      detail: `${running} running, ${terminals.failed} failed tasks`,
    });
    const rebuild = await rebuildReadModels({ databaseUrl: infra.databaseUrl, store, keepOldSchema: true });
    const diffs = await diffReadModels(pool, rebuild.replacedSchema, READ_MODEL_SCHEMA);
    const differing = diffs.filter((d) => d.differing > 0 || d.rowsA !== d.rowsB);
    invariants.push({
      name: 'read models equal a fresh rebuild, row by row',
      pass: differing.length === 0,
      detail:
        differing.length === 0
          ? `${diffs.length} tables equal (${diffs.map((d) => `${d.table} ${d.rowsA}`).join(', ')})`
          : differing
              .map((d) => `${d.table}: live ${d.rowsA} rows, rebuilt ${d.rowsB}, ${d.differing} differ`)
              .join('; '),
    });
    const tasks = await pool.query<{ n: number; completed: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'completed')::int AS completed FROM ${READ_MODEL_SCHEMA}.tasks`,
    );
    invariants.push({
      name: 'the tasks read model has one completed row per SMS',
      pass: tasks.rows[0]?.n === N && tasks.rows[0]?.completed === N,
      detail: `${tasks.rows[0]?.n} rows, ${tasks.rows[0]?.completed} completed, for ${N} SMS`,
    });

    const twilioCalls = infra.twilio.calls.filter((c) => c.method === 'POST');
    const aiRequests = infra.openai.requests;
    const figures = {
      machine: { cpus: os.cpus().length, node: process.version, loadAverage: os.loadavg().map((l) => +l.toFixed(2)) },
      settings: {
        sms: N,
        durationSeconds: DURATION_MS / 1000,
        people: PEOPLE,
        kills: KILLS,
        sendKills: SEND_KILLS,
        pgRestarts: PG_RESTARTS,
        duplicates: DUPLICATES,
        aiFailureRate: Number(args['ai-failures']),
        twilioFailureRate: Number(args['twilio-failures']),
        seed: SEED,
      },
      webhook,
      faults: {
        workerKills: worker.restarts - sendKills,
        workerKillsAtSend: sendKills,
        opsRetries: opsRetried.length,
        projectorKills: projector.restarts,
        aiRequests: aiRequests.length,
        aiFailed: aiRequests.filter((r) => r.status >= 500).length,
        twilioSends: twilioCalls.length,
        twilioFailed: twilioCalls.filter((c) => c.status >= 500).length,
      },
      timeline: events,
      terminals,
      lostSids: replies.lost.slice(0, 20),
      doubledSids: replies.doubled.slice(0, 20),
      readModels: diffs,
      invariants,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    ok = invariants.every((i) => i.pass);
    if (args.json) process.stdout.write(`${JSON.stringify({ ok, ...figures })}\n`);
    else process.stdout.write(report(figures, ok));
  } catch (error) {
    log(`soak failed: ${(error as Error).stack ?? error}`);
    args.keep = true;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    if (!ok) {
      args.keep = true;
      log(`logs kept in ${path.join(infra.dir, 'logs')}`);
    }
    await infra.close({ keepDir: args.keep });
  }
  return ok;
}

function report(
  f: {
    settings: Record<string, number>;
    webhook: Record<string, unknown>;
    faults: Record<string, number>;
    timeline: { atS: number; what: string }[];
    invariants: Invariant[];
    seconds: number;
  },
  ok: boolean,
): string {
  const s = f.settings;
  return [
    `Chaos soak: ${s.sms} SMS from ${s.people} people over ${s.durationSeconds} s (seed ${s.seed}); ${f.seconds} s in all.`,
    '',
    table(
      'Faults injected',
      ['fault', 'count'],
      [
        [
          'webhooks delivered twice (at once / later)',
          `${f.webhook.duplicates} (${f.webhook.concurrentDuplicates} / ${Number(f.webhook.duplicates) - Number(f.webhook.concurrentDuplicates)})`,
        ],
        ['AI requests failed (500) / made', `${f.faults.aiFailed} / ${f.faults.aiRequests}`],
        ['Twilio sends failed (5xx) / made', `${f.faults.twilioFailed} / ${f.faults.twilioSends}`],
        // With 20% AI failures and 3 paid calls per round (AI_MAX_CALLS_PER_SMS), ~0.8% of SMS fail for good.
        ['tasks failed for good, then retried by ops', f.faults.opsRetries as number],
        ['worker SIGKILL + restart', f.faults.workerKills as number],
        ["worker SIGKILL at Twilio's answer, before ReplySent", f.faults.workerKillsAtSend as number],
        ['projector SIGKILL + restart', f.faults.projectorKills as number],
        ['PostgreSQL restarts', s.pgRestarts as number],
        ['webhook answers other than 2xx (retried)', JSON.stringify(f.webhook.non2xx)],
      ],
    ),
    table(
      'Timeline',
      ['at', 'event'],
      f.timeline.map((e) => [`${e.atS} s`, e.what]),
      2,
    ),
    table(
      'Invariants',
      ['verdict', 'invariant', 'detail'],
      f.invariants.map((i) => [i.pass ? 'PASS' : 'FAIL', i.name, i.detail]),
      3,
    ),
    ok ? 'All invariants hold.' : 'SOME INVARIANTS FAILED.',
    '',
  ].join('\n');
}

const ok = await main();
process.exit(ok ? 0 : 1);
