import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, watch } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describeAi } from '../../activities/ai-client.js';
import { DASHBOARD_BUILD } from '../../api/plugins/dashboard.js';
import { devLinkUrl, newDevLinkToken } from '../../api/routes/dev-link.js';
import { TEMPORAL_CODEC_PATH } from '../../api/routes/temporal-codec.js';
import { aiProvider, loadConfig, publicUrl, twilioConfigured } from '../../infra/config.js';
import { ensureDatabase, startEmbeddedPostgres } from '../../infra/embedded-postgres.js';
import { createLogger, type Logger } from '../../infra/logger.js';
import { APP_DATABASE, readStackFile, removeStackFile, writeStackFile } from '../../infra/stack.js';
import { temporalDataConverter } from '../../infra/temporal-data-converter.js';
import { startTemporalDevServer } from '../../infra/temporal-dev-server.js';
import { startApi } from '../roles/api.js';
import { migrateAll } from '../roles/migrate.js';
import { startProjector } from '../roles/projector.js';
import type { RunningRole } from '../roles/role.js';
import { startWorker } from '../roles/worker.js';
import { onShutdown } from '../shutdown.js';

export function register(program: Command): void {
  program
    .command('dev')
    .description('run everything locally: PostgreSQL and Temporal (embedded unless configured), worker, projector, API')
    .action(runDev);
}

async function runDev(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  // Before anything starts: a bad key stops start-up like any config error; no key is logged once.
  const encrypted = (temporalDataConverter(config, logger).payloadCodecs ?? []).length > 0;
  const codecEndpoint = `${publicUrl(config)}${TEMPORAL_CODEC_PATH}`;
  // Production without an AI stops here (exit 2), before anything starts.
  const ai = aiProvider(config);
  // The sign-in link's secret: in this process's memory only, for this run.
  const devSignIn = config.NODE_ENV === 'production' ? undefined : { token: newDevLinkToken() };
  mkdirSync(config.DATA_DIR, { recursive: true });
  const running = readStackFile(config);
  if (running) throw new Error(`sms-agent dev is already running (pid ${running.pid}) on ${config.DATA_DIR}`);

  // Stopped in reverse order of starting.
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  const shutdown = onShutdown(logger, async () => {
    removeStackFile(config);
    for (const { name, stop } of stops.reverse()) {
      logger.debug(`stopping ${name}`);
      await stop().catch((error) => logger.error({ err: error }, `stopping ${name} failed`));
    }
  });

  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dataDir: path.join(config.DATA_DIR, 'postgres'), logger });
      stops.push({ name: 'postgres', stop: pg.stop });
      databaseUrl = await ensureDatabase(pg.url, APP_DATABASE);
      logger.info(`embedded PostgreSQL on port ${pg.port}, data in ${path.join(config.DATA_DIR, 'postgres')}`);
    }
    let temporalAddress = config.TEMPORAL_ADDRESS;
    let temporalUiUrl: string | undefined;
    if (!temporalAddress) {
      const temporal = await startTemporalDevServer({
        cliPath: config.TEMPORAL_CLI_PATH,
        dbFile: path.resolve(config.DATA_DIR, 'temporal.db'),
        uiPort: config.TEMPORAL_UI_PORT,
        logFile: path.resolve(config.DATA_DIR, 'temporal.log'),
        logger,
        allowDownload: true,
        codecEndpoint: encrypted ? codecEndpoint : undefined,
      });
      stops.push({ name: 'temporal', stop: temporal.stop });
      temporalAddress = temporal.address;
      temporalUiUrl = temporal.uiUrl;
    }
    const ctx = { config, logger, databaseUrl, temporalAddress };
    await migrateAll(config, databaseUrl, logger);
    // Not under tests: a rebuild empties dashboard/build while other test files serve it.
    const dashboard = config.NODE_ENV === 'development' ? watchDashboard(logger) : undefined;
    if (dashboard) stops.push(dashboard);
    // A fresh clone has no dashboard yet: the API waits for its first build (the roles start
    // meanwhile), so the banner's sign-in link opens the dashboard rather than "not built".
    const unbuilt = dashboard && !existsSync(path.join(DASHBOARD_BUILD, '200.html'));
    if (unbuilt) logger.info('building the dashboard (first start only; some seconds)');
    const roles: RunningRole[] = [];
    roles.push(await startWorker(ctx));
    stops.push(roles[0]!);
    const projector = await startProjector(ctx);
    roles.push(projector);
    stops.push(projector);
    if (unbuilt) await dashboard.firstBuild;
    const api = await startApi(ctx, { devSignIn });
    roles.push(api);
    stops.push(api);

    writeStackFile(config, { pid: process.pid, databaseUrl, temporalAddress, apiUrl: api.url, temporalUiUrl });
    const lines = [
      '',
      '  sms-agent is running',
      `  App:          ${api.url}`,
      ...(config.NODE_ENV === 'development'
        ? ['                (the dashboard rebuilds when its files change: reload the page)']
        : []),
      `  Health:       ${api.url}/ready`,
      temporalUiUrl ? `  Temporal UI:  ${temporalUiUrl}` : `  Temporal:     ${temporalAddress}`,
      `  Data:         ${path.resolve(config.DATA_DIR)}`,
      `  SMS provider: ${twilioConfigured(config) ? `Twilio (${config.TWILIO_API_BASE_URL ?? 'api.twilio.com'})` : 'simulator (no TWILIO_* credentials): POST /api/simulator/sms'}`,
      `  AI:           ${describeAi(config)}`,
      ...(ai === 'demo'
        ? ['                for real answers set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (Ollama, vLLM, LM Studio)']
        : []),
      encrypted
        ? `  Payloads:     encrypted; the Temporal UI decodes them through ${codecEndpoint} (admins and ops)`
        : '\n  WARNING: Temporal payloads are NOT encrypted: the Temporal server and its UI hold phone numbers\n' +
          '  and messages in clear. Set TEMPORAL_PAYLOAD_KEYS (README: Encrypted Temporal payloads).',
      ...(devSignIn
        ? [
            '',
            `  Sign in:      ${devLinkUrl(api.url, devSignIn.token)}`,
            '                (local admin; works once, from this machine, for this run)',
          ]
        : []),
      '',
      '  Ctrl-C stops everything.',
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await Promise.race([shutdown.requested, ...roles.map((r) => r.done).filter(Boolean)]);
  } catch (error) {
    logger.error({ err: error }, 'start-up failed');
    process.exitCode = 1;
  }
  await shutdown.run();
}

/**
 * Builds the dashboard beside the API, once at start and again after each change under
 * dashboard/src or dashboard/static; the API serves dashboard/build exactly as in production (same
 * origin, cookie, CSP and paths; no second server or proxy to keep in step): a change shows on
 * reload. Each build is a plain `vite build`: SvelteKit's output under `vite build --watch` loads
 * as a blank page (its client start-up throws "Cannot read properties of undefined (reading
 * 'data')"), so the watching is done here, with fs.watch and a short debounce. A fresh clone has
 * no `.svelte-kit/` yet, which dashboard/tsconfig.json extends: `svelte-kit sync` writes it first,
 * or vite warns "Cannot find base config file". `firstBuild` settles when the first build ends,
 * whether it succeeded or not (a failure is logged).
 */
export function watchDashboard(
  logger: Logger,
  cwd = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dashboard'),
): { name: string; stop: () => Promise<void>; firstBuild: Promise<void> } {
  const name = 'dashboard build';
  let vite: string;
  let svelteKit: string;
  try {
    const require = createRequire(import.meta.url);
    vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin/vite.js');
    svelteKit = path.join(path.dirname(require.resolve('@sveltejs/kit/package.json')), 'svelte-kit.js');
  } catch {
    logger.warn('vite is not installed (dev dependencies): the dashboard is served as last built');
    return { name, stop: async () => {}, firstBuild: Promise.resolve() };
  }
  let running: ChildProcess | undefined;
  let again = false;
  let stopped = false;
  let firstBuilt: () => void = () => {};
  const firstBuild = new Promise<void>((resolve) => {
    firstBuilt = resolve;
  });
  /** Runs one step in the dashboard folder; resolves with its exit code (null when stopped). */
  const step = (args: string[]) =>
    new Promise<number | null>((resolve) => {
      if (stopped) return resolve(null);
      const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
      running = child;
      child.stderr?.on('data', (chunk: Buffer) => logger.warn(`dashboard build: ${chunk.toString().trim()}`));
      child.once('error', (error) => {
        logger.warn({ err: error }, 'dashboard build could not start');
        resolve(1);
      });
      child.once('exit', (code) => resolve(code));
    });
  const build = async () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    const synced = existsSync(path.join(cwd, '.svelte-kit', 'tsconfig.json'));
    const code =
      synced || (await step([svelteKit, 'sync'])) === 0 ? await step([vite, 'build', '--logLevel', 'error']) : 1;
    running = undefined;
    firstBuilt();
    if (stopped) return;
    if (code !== 0) logger.warn('dashboard build failed (above); it is built again on the next change');
    if (again) {
      again = false;
      void build();
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const onChange = () => {
    clearTimeout(timer);
    timer = setTimeout(build, 300);
  };
  const watchers = ['src', 'static'].map((dir) => watch(path.join(cwd, dir), { recursive: true }, onChange));
  void build();
  return {
    name,
    firstBuild,
    async stop() {
      stopped = true;
      firstBuilt();
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
      const child = running;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
