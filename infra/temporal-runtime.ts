import { type LogLevel, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import type { Logger } from './logger.js';

let installed = false;

/** Routes the Temporal SDK's own logs into our logger (once per process; the SDK allows one). */
export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  const level = (
    logger.level === 'silent' ? 'ERROR' : logger.level === 'debug' || logger.level === 'trace' ? 'DEBUG' : 'WARN'
  ) as LogLevel;
  const log = (l: string) => (message: string, meta?: Record<string, unknown>) => {
    const fn = (logger as unknown as Record<string, (o: unknown, m: string) => void>)[l];
    fn?.call(logger, { temporal: meta }, message);
  };
  Runtime.install({
    logger: {
      log: (l: LogLevel, message: string, meta?: Record<string, unknown>) => log(l.toLowerCase())(message, meta),
      trace: log('trace'),
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
    },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level }) } },
  });
  // The SDK's own messages below our level are dropped by pino itself.
}
