import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { maskPhonesIn } from '../domain/phone.js';

export type { Logger };

/** Paths whose values are secrets; pino replaces them before anything is written. */
const SECRET_PATHS = [
  '*.authToken',
  '*.apiKey',
  '*.password',
  '*.token',
  'req.headers.authorization',
  'req.headers["x-twilio-signature"]',
  'headers.authorization',
  // Session cookies and their CSRF tokens (api/plugins/admin-auth.ts).
  'req.headers.cookie',
  'headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.csrfToken',
  'config.TWILIO_AUTH_TOKEN',
  'config.OPENAI_API_KEY',
  'config.ADMIN_API_TOKEN',
  'config.TEMPORAL_PAYLOAD_KEYS',
  'config.DATABASE_URL',
];

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhonesIn(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  // The stack's first line repeats the message, so it is masked too.
  if (value instanceof Error) return { ...briefError(value), stack: value.stack && maskPhonesIn(value.stack) };
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  // Serializer outputs (req, res) are class instances whose fields Object.entries would drop.
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}

/** JSON lines for machines; one coloured line per event for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT when set, else pretty on a terminal and JSON everywhere else (files, pipes, containers, tests). */
export function logFormat(
  env: NodeJS.ProcessEnv = process.env,
  stdout: { isTTY?: boolean } = process.stdout,
): LogFormat {
  const forced = env.LOG_FORMAT;
  if (forced === 'json' || forced === 'pretty') return forced;
  return stdout.isTTY ? 'pretty' : 'json';
}

/**
 * An error whose cause is known and whose handling is decided (an AI endpoint down, a retried
 * step, a Twilio 5xx): its type and reason, without the stack trace, which says nothing new and
 * buries the log. Unexpected errors are logged as Error objects and keep their stack.
 */
export function briefError(error: unknown): { type: string; message: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: maskPhonesIn(String(error)) };
  // Temporal's ApplicationFailure names the original error in `type`.
  const type = (error as { type?: unknown }).type;
  return { type: typeof type === 'string' && type ? type : error.name, message: maskPhonesIn(error.message) };
}

/**
 * The pretty printer runs in this process (not a transport thread) and writes synchronously, so
 * nothing is lost when the CLI exits right after a last line. Redaction and masking happen before it.
 */
function prettyStream(destination: NodeJS.WritableStream | undefined, colorize: boolean | undefined) {
  return pretty({
    destination: destination ?? 1,
    sync: true,
    colorize: colorize ?? (destination ? false : undefined),
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name,role,temporal.taskToken,temporal.namespace,temporal.workflowRunId,temporal.sdkComponent',
    messageFormat: prettyMessage,
    // An error with a stack gets its own lines below the event; a brief one is already in the message.
    customPrettifiers: { err: (value) => (isLogged(value) && value.stack ? value.stack : undefined) as string },
  });
}

interface LoggedError {
  type: string;
  message: string;
  stack?: string;
}
const isLogged = (value: unknown): value is LoggedError =>
  typeof value === 'object' && value !== null && typeof (value as LoggedError).message === 'string';

/** "worker: Activity failed: AiCallError: AI request to gpt-4o failed: Connection error." */
export function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const role = typeof log.role === 'string' ? `${log.role}: ` : '';
  const err = log.err;
  const reason = isLogged(err) && !err.stack ? `: ${err.type}: ${err.message}` : '';
  return `${role}${String(log[messageKey] ?? '')}${reason}`;
}

export function createLogger(
  options: {
    level?: string;
    name?: string;
    destination?: NodeJS.WritableStream;
    /** Default: logFormat() for stdout; JSON for any other destination. */
    format?: LogFormat;
    colorize?: boolean;
  } = {},
): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name ?? 'sms-agent',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: SECRET_PATHS, censor: '[redacted]' },
    // maskDeep (below, run first) already made errors plain {type, message, stack?}; pino's own would retype them "Object".
    serializers: { err: (value: unknown) => value },
    // Phone numbers are personal data: mask them wherever they appear, in fields and in messages.
    formatters: { log: (obj) => maskDeep(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskPhonesIn(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  const format = options.format ?? (options.destination ? 'json' : logFormat());
  if (format === 'pretty') return pino(settings, prettyStream(options.destination, options.colorize));
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
