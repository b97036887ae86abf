import pino, { type Logger } from 'pino';
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
  if (value instanceof Error) {
    return { type: value.name, message: maskPhonesIn(value.message), stack: value.stack && maskPhonesIn(value.stack) };
  }
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  // Serializer outputs (req, res) are class instances whose fields Object.entries would drop.
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}

export function createLogger(
  options: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name ?? 'sms-agent',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: SECRET_PATHS, censor: '[redacted]' },
    // Phone numbers are personal data: mask them wherever they appear, in fields and in messages.
    formatters: { log: (obj) => maskDeep(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskPhonesIn(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
