import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { maskPhone, maskPhonesIn } from '../domain/phone.js';

/** Fields that hold what a texter wrote or was sent (rows, event data, conversation turns). */
// `url`: an MMS's media URLs (SmsReceived.media), which lead to what the texter sent.
const TEXT_KEYS = new Set(['smsContent', 'aiResponse', 'body', 'text', 'question', 'answer', 'word', 'prompt', 'url']);
/** Fields that hold a phone number (or, for non-phone senders, a short code or sender id). */
const PHONE_KEYS = new Set(['phone', 'userPhone', 'from', 'to', 'user_phone']);
const NUMBER_LIKE = /^\+?[0-9][0-9 ().-]{2,20}$/;

/**
 * The analyst view of any response: message texts become null, phone numbers are masked with the
 * analyst views' rule (maskPhone), and numbers inside other strings (error texts, stream names)
 * too. One walk over the whole payload, so no route can forget a field.
 */
export function redactForAnalyst<T>(value: T): T {
  return walk(value, undefined) as T;
}

function walk(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') {
    if (key && TEXT_KEYS.has(key)) return null;
    if (key && PHONE_KEYS.has(key) && NUMBER_LIKE.test(value)) return maskPhone(value);
    return maskPhonesIn(value);
  }
  if (Array.isArray(value)) return value.map((v) => walk(v, undefined));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
  }
  return value;
}

export const isAnalyst = (request: FastifyRequest) => request.actor?.role === 'analyst';

/** Applies redactForAnalyst to every serialized answer an analyst gets (streams, like CSV, call it themselves). */
export default fp(
  async (app: FastifyInstance) => {
    app.addHook('preSerialization', async (request, _reply, payload) =>
      isAnalyst(request) ? redactForAnalyst(payload) : payload,
    );
  },
  { name: 'analyst-redaction' },
);
