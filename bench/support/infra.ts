import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ensureDatabase, type RunningPostgres, startEmbeddedPostgres } from '../../infra/embedded-postgres.js';
import { freePort } from '../../infra/ports.js';
import { type RunningTemporal, startTemporalDevServer } from '../../infra/temporal-dev-server.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../test/fakes/openai.js';
import { type FakeTwilio, startFakeTwilio } from '../../test/fakes/twilio.js';
import { findProcesses, parentOf } from './proc.js';
import { keep, reapOnDeath, release, removeOnDeath } from './reaper.js';
import { ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER } from './twilio-webhook.js';

/**
 * What a benchmark or soak runs against: its own embedded PostgreSQL (default durability, in a
 * temporary folder), a headless Temporal dev server (or an existing one), and the Twilio and
 * OpenAI fakes the real SDKs talk to.
 */
export interface BenchInfra {
  dir: string;
  /** Where the dev server started here keeps its SQLite store (undefined for a given server). */
  temporalStore?: 'tmpfs' | 'disk';
  databaseUrl: string;
  postgres: RunningPostgres;
  temporalAddress: string;
  /** The dev server's pids when we started it (for CPU figures). */
  temporalPids: number[];
  client: Client;
  twilio: FakeTwilio;
  openai: FakeOpenAI;
  /** Stops PostgreSQL and starts it again on the same data folder and port. */
  restartPostgres(downMs?: number): Promise<{ downMs: number }>;
  /** Environment for a role process (`sms-agent worker` etc.): the config variables, nothing else. */
  roleEnv(extra: Record<string, string>): Record<string, string>;
  close(options?: { keepDir?: boolean }): Promise<void>;
}

/**
 * A folder on tmpfs (/dev/shm) for the dev server's scratch store, when it has room; else
 * undefined (the dev server's default, a temporary folder on disk). Starting 200 workflows/s the
 * dev server writes 4-5 MB/s of buffered data, and on the disk PostgreSQL's WAL is on, the kernel's
 * writeback of it slows the WAL flush that every webhook's commit waits for: here fdatasync took
 * 0.12 ms p50 and 0.24 ms p99 alone, 198 ms p99 beside a buffered writer, and the slow appends of
 * the ingest phase wait in WALWrite and WalSync (pg_stat_activity). A deployment keeps Temporal's
 * persistence off the app database's disk; on one machine tmpfs does.
 */
function temporalScratchDir(): string | undefined {
  try {
    const fs = statfsSync('/dev/shm');
    if (fs.bavail * fs.bsize < 4 * 2 ** 30) return undefined;
    return mkdtempSync('/dev/shm/sms-agent-bench-temporal-');
  } catch {
    return undefined;
  }
}

export async function startBenchInfra(options: {
  /** Use this Temporal server instead of starting one. */
  temporalAddress?: string;
  /** postgres -c settings; none means PostgreSQL's defaults (fsync on). */
  pgSettings?: Record<string, string>;
  random?: () => number;
  log?: (line: string) => void;
}): Promise<BenchInfra> {
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sms-agent-bench-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to enter this folder.
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'logs'));
  const dataDir = path.join(dir, 'postgres');
  const pgPort = await freePort();
  // Each server is given to the reaper as soon as it is spawned, so a kill during its start-up is
  // covered too. PostgreSQL gets SIGINT, its fast shutdown, which does not wait for the roles'
  // connections to close. The dev server may be spawned more than once (a port taken: another try).
  const temporalSpawned: number[] = [];
  const startPg = () =>
    startEmbeddedPostgres({
      dataDir,
      port: pgPort,
      settings: options.pgSettings,
      onSpawn: (pid) => reapOnDeath(pid, { group: true, signal: 'SIGINT' }),
    });
  const stopPg = (running: RunningPostgres) => {
    release(running.pid);
    return running.stop();
  };

  const temporalDir = options.temporalAddress ? undefined : temporalScratchDir();
  // Ctrl-C or a kill: leave through process.exit, so that the 'exit' listeners stop the roles,
  // PostgreSQL and the dev server (each registers one), and the dev server's store on tmpfs, which
  // holds memory, goes with them. The folder on disk stays, with its logs.
  const interrupted = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const removeStore = () => temporalDir && rmSync(temporalDir, { recursive: true, force: true });
  if (temporalDir) removeOnDeath(temporalDir);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  process.once('exit', removeStore);
  log('starting PostgreSQL and Temporal');
  const [postgres, temporal] = await Promise.all([
    startPg(),
    options.temporalAddress
      ? Promise.resolve<RunningTemporal | undefined>(undefined)
      : startTemporalDevServer({
          cliPath: process.env.TEMPORAL_CLI_PATH,
          headless: true,
          port: await freePort(),
          logFile: path.join(dir, 'logs', 'temporal.log'),
          ...(temporalDir && { dbFile: path.join(temporalDir, 'temporal.db') }),
          onSpawn: (pid) => {
            temporalSpawned.push(pid);
            reapOnDeath(pid, { group: true });
          },
        }),
  ]);
  let pg = postgres;
  const databaseUrl = await ensureDatabase(pg.url, 'sms_agent');
  const temporalAddress = options.temporalAddress ?? (temporal as RunningTemporal).address;
  // The CLI may run behind a wrapper (pyenv shim, pip launcher) with the same arguments: keep the outermost.
  const matching = temporal ? findProcesses(['start-dev', '--port', temporalAddress.split(':')[1] as string]) : [];
  const temporalPids = matching.filter((pid) => !matching.includes(parentOf(pid) ?? -1));
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  const [twilio, openai] = await Promise.all([
    startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, random: options.random }),
    startFakeOpenAI({ random: options.random }),
  ]);

  const payloadKeys = `bench:${randomBytes(32).toString('base64')}`;
  return {
    dir,
    temporalStore: options.temporalAddress ? undefined : temporalDir ? 'tmpfs' : 'disk',
    databaseUrl,
    get postgres() {
      return pg;
    },
    temporalAddress,
    temporalPids,
    client,
    twilio,
    openai,
    async restartPostgres(downMs = 1_000) {
      const started = Date.now();
      await stopPg(pg);
      await new Promise((r) => setTimeout(r, downMs));
      pg = await startPg();
      return { downMs: Date.now() - started };
    },
    roleEnv: (extra) => ({
      NODE_ENV: 'production',
      // NODE_ENV=production alone would run dist/ (bin/sms-agent.mjs), stale or missing here.
      SMS_AGENT_RUNTIME: process.env.SMS_AGENT_RUNTIME ?? 'source',
      LOG_LEVEL: 'warn',
      DATA_DIR: path.join(dir, 'data'),
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: OUR_NUMBER,
      TWILIO_API_BASE_URL: twilio.baseUrl,
      OPENAI_API_KEY: 'bench-key',
      OPENAI_BASE_URL: openai.baseUrl,
      // As a production deployment should: a fallback model distinct from the default one, so a
      // failing default model gets a second chance within each attempt.
      OPENAI_FALLBACK_MODEL: 'gpt-4.1-mini',
      // Production requires encrypted Temporal payloads; the bench measures them too. One key per run.
      TEMPORAL_PAYLOAD_KEYS: payloadKeys,
      HOST: '127.0.0.1',
      ...extra,
    }),
    async close({ keepDir = false } = {}) {
      await Promise.allSettled([twilio.close(), openai.close()]);
      await connection.close().catch(() => {});
      process.removeListener('SIGINT', interrupted);
      process.removeListener('SIGTERM', interrupted);
      for (const pid of temporalSpawned) release(pid);
      await temporal?.stop();
      process.removeListener('exit', removeStore);
      removeStore();
      if (temporalDir) keep(temporalDir);
      await stopPg(pg);
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
