import { type LogLevel, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { briefError, type Logger } from './logger.js';

let installed = false;

/**
 * Failure types whose cause is known and whose handling is decided: Temporal retries them, or the
 * workflow sends the task to ops. Activity failures arrive as ApplicationFailures whose `type` names
 * the original error (activities/attempt-count.ts).
 */
const EXPECTED_FAILURE_TYPES = new Set([
  'AiCallError', // the AI endpoint down, slow, 5xx, or refusing a model (activities/ai-client.ts)
  'AiRateLimited',
  'AiCallsExhausted',
  'AiRequestRejected',
  'SmsRateLimited',
  'SmsRejected',
  'AxiosError', // the Twilio SDK's network errors
  'WrongExpectedVersionError',
  'StoreUnavailableError',
  'TimeoutError',
  'AbortError',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

const NETWORK_MESSAGE = new RegExp(`\\b(${[...NETWORK_CODES].join('|')})\\b`, 'u');

/** Whether an error is an expected failure (see EXPECTED_FAILURE_TYPES), or a network error anywhere in its causes. */
export function isExpectedFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (EXPECTED_FAILURE_TYPES.has(briefError(error).type)) return true;
  // Twilio answered 5xx (its 4xx become SmsRejected, 429 SmsRateLimited). Its RestException sets no
  // name of its own: the SDK's frame that throws it tells it from any other Error.
  if (/twilio[\\/]lib[\\/]base[\\/]Version\.js/u.test(error.stack ?? '')) return true;
  // Node's network errors name their code in the message, which survives where the code does not.
  if (NETWORK_MESSAGE.test(error.message)) return true;
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++, current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  }
  return false;
}

/**
 * The fields of one SDK log line: an expected failure as `err: {type, message}` (one line, its
 * reason), an unexpected one as the Error itself (the logger keeps its stack).
 */
export function temporalLogFields(meta: Record<string, unknown> | undefined): {
  fields: Record<string, unknown>;
  expected: boolean;
} {
  if (!meta) return { fields: {}, expected: false };
  const { error, err, ...rest } = meta;
  const failure = error ?? err;
  if (failure === undefined) return { fields: { temporal: meta }, expected: false };
  const expected = isExpectedFailure(failure);
  return { fields: { err: expected ? briefError(failure) : failure, temporal: rest }, expected };
}

/** Routes the Temporal SDK's own logs into our logger (once per process; the SDK allows one). */
export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  const level = (
    logger.level === 'silent' ? 'ERROR' : logger.level === 'debug' || logger.level === 'trace' ? 'DEBUG' : 'WARN'
  ) as LogLevel;
  const log = (l: string) => (message: string, meta?: Record<string, unknown>) => {
    const { fields, expected } = temporalLogFields(meta);
    // An expected failure is a warning at most: the workflow deals with it.
    const at = expected && (l === 'error' || l === 'fatal') ? 'warn' : l;
    const fn = (logger as unknown as Record<string, (o: unknown, m: string) => void>)[at];
    fn?.call(logger, fields, message);
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
