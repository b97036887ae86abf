import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { StoreUnavailableError, StreamNotFoundError, WrongExpectedVersionError } from '../../eventstore/port.js';
import { InvalidCursorError } from '../../projections/shared/view.js';

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}
export class BadRequestError extends Error {
  override name = 'BadRequestError';
}
/** The request contradicts the current state (a task not waiting for a retry, a rebuild already running). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** Seconds a client should wait after a 503 (Twilio itself goes to the number's fallback URL at once). */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/**
 * The stable, machine-readable `code` of every error answer, by status. Clients branch on these;
 * add a status here rather than a new code elsewhere. Two refine their status: a schema validation
 * failure (VALIDATION_FAILED, else BAD_REQUEST) and the event store down (STORE_UNAVAILABLE).
 */
export const ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  500: 'INTERNAL',
  502: 'BAD_GATEWAY',
  503: 'UNAVAILABLE',
  504: 'TIMEOUT',
};
export const VALIDATION_FAILED = 'VALIDATION_FAILED';
export const STORE_UNAVAILABLE = 'STORE_UNAVAILABLE';

export const errorCodeFor = (status: number): string =>
  ERROR_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');

type ErrorBody = { error: string; code: string; message: string; statusCode: number };

/** One error handler: logs, maps typed domain errors to status codes, hides the text of 5xx. */
export default fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = statusOf(error);
      if (error instanceof StoreUnavailableError) {
        // Quick and explicit, so Twilio tries the fallback URL instead of waiting out its 15 s.
        request.log.error({ err: error }, 'event store unavailable; answered 503');
        return reply
          .status(503)
          .header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S))
          .send({
            error: 'Service Unavailable',
            code: STORE_UNAVAILABLE,
            message: 'The event store did not answer in time; try again shortly (a retried SMS is recorded once).',
            statusCode: 503,
          } satisfies ErrorBody);
      }
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ err: { type: error.name, message: error.message }, status }, 'request rejected');
      const generic = error.name === 'Error' || error.name === 'FastifyError';
      return reply.status(status).send({
        error: status >= 500 ? 'Internal Server Error' : generic ? (STATUS_CODES[status] ?? 'Bad Request') : error.name,
        code: error.validation ? VALIDATION_FAILED : errorCodeFor(status),
        message:
          status >= 500
            ? 'Something went wrong; it has been logged.'
            : isPgBadText(error)
              ? 'The request holds text that cannot be stored or compared'
              : error.message,
        statusCode: status,
      } satisfies ErrorBody);
    });
    app.setNotFoundHandler((request, reply) =>
      reply.status(404).send({
        error: 'Not Found',
        code: 'NOT_FOUND',
        message: `No route ${request.method} ${request.url.slice(0, 200)}`,
        statusCode: 404,
      } satisfies ErrorBody),
    );
    // Hooks and routes that answer an error themselves (role checks, the Twilio signature, login)
    // send `{error, message, statusCode}`: the same table gives them their code.
    app.addHook('preSerialization', async (_request, reply, payload) => {
      if (reply.statusCode < 400 || !isErrorShaped(payload) || 'code' in payload) return payload;
      return { ...payload, code: errorCodeFor(reply.statusCode) };
    });
  },
  { name: 'error-handler' },
);

const isErrorShaped = (payload: unknown): payload is { error: unknown; statusCode: unknown } =>
  typeof payload === 'object' && payload !== null && 'error' in payload && 'statusCode' in payload;

/** PostgreSQL's errors about text it cannot store or compare (SQLSTATE 22xxx): the input's fault. */
const PG_BAD_TEXT = new Set(['22021', '22P05', '22001', '22P02']);

const isPgBadText = (error: FastifyError) =>
  typeof error.code === 'string' && PG_BAD_TEXT.has(error.code) && error.statusCode === undefined;

function statusOf(error: FastifyError): number {
  if (error.validation) return 400;
  // A backstop: the edge refuses NUL (api/plugins/security.ts), but a query must never 500 on text.
  if (isPgBadText(error)) return 400;
  if (error instanceof NotFoundError || error instanceof StreamNotFoundError) return 404;
  if (error instanceof BadRequestError || error instanceof InvalidCursorError) return 400;
  if (error instanceof WrongExpectedVersionError || error instanceof ConflictError) return 409;
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode <= 599) {
    return error.statusCode;
  }
  return 500;
}
