import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import { ensureDatabase, startEmbeddedPostgres } from './embedded-postgres.js';
import type { Logger } from './logger.js';
import { isPortOpen } from './ports.js';

/** The application database inside an embedded cluster. */
export const APP_DATABASE = 'sms_agent';

/** Written by `sms-agent dev` while it runs, so other commands find its embedded servers. */
export interface StackFile {
  pid: number;
  databaseUrl?: string;
  temporalAddress?: string;
  apiUrl?: string;
  temporalUiUrl?: string;
}

const stackFilePath = (config: Config) => path.resolve(config.DATA_DIR, 'stack.json');

export function writeStackFile(config: Config, stack: StackFile): void {
  writeFileSync(stackFilePath(config), JSON.stringify(stack, null, 2));
}

export function removeStackFile(config: Config): void {
  rmSync(stackFilePath(config), { force: true });
}

export function readStackFile(config: Config): StackFile | undefined {
  const file = stackFilePath(config);
  if (!existsSync(file)) return undefined;
  try {
    const stack = JSON.parse(readFileSync(file, 'utf8')) as StackFile;
    process.kill(stack.pid, 0);
    return stack;
  } catch {
    return undefined;
  }
}

/**
 * The database URL a command should use: DATABASE_URL, else the running dev stack's, else an
 * embedded server started on DATA_DIR for the duration of the command (`stop` shuts it down).
 */
export async function resolveDatabase(
  config: Config,
  logger?: Logger,
): Promise<{ url: string; stop: () => Promise<void>; embedded: boolean }> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, stop: async () => {}, embedded: false };
  const stack = readStackFile(config);
  if (stack?.databaseUrl) {
    const port = Number(new URL(stack.databaseUrl).port);
    if (await isPortOpen(port)) return { url: stack.databaseUrl, stop: async () => {}, embedded: true };
  }
  const pg = await startEmbeddedPostgres({ dataDir: path.join(config.DATA_DIR, 'postgres'), logger });
  const url = await ensureDatabase(pg.url, APP_DATABASE);
  return { url, stop: pg.stop, embedded: true };
}

/** The Temporal address a command should use: TEMPORAL_ADDRESS, else the running dev stack's. */
export function resolveTemporalAddress(config: Config): string | undefined {
  return config.TEMPORAL_ADDRESS ?? readStackFile(config)?.temporalAddress;
}
