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

/** One error handler: logs, maps typed domain errors to status codes, hides the text of 5xx. */
export default fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = statusOf(error);
      if (error instanceof StoreUnavailableError) {
        // Quick and explicit, so Twilio tries the fallback URL instead of waiting out its 15 s.
        request.log.error({ err: error }, 'event store unavailable; answered 503');
        return reply.status(503).header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S)).send({
          error: 'Service Unavailable',
          message: 'The event store did not answer in time; try again shortly (a retried SMS is recorded once).',
          statusCode: 503,
        });
      }
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ err: { type: error.name, message: error.message }, status }, 'request rejected');
      return reply.status(status).send({
        error: status >= 500 ? 'Internal Server Error' : error.name === 'Error' ? 'Bad Request' : error.name,
        message: status >= 500 ? 'Something went wrong; it has been logged.' : error.message,
        statusCode: status,
      });
    });
    app.setNotFoundHandler((request, reply) =>
      reply
        .status(404)
        .send({ error: 'Not Found', message: `No route ${request.method} ${request.url}`, statusCode: 404 }),
    );
  },
  { name: 'error-handler' },
);

function statusOf(error: FastifyError): number {
  if (error.validation) return 400;
  if (error instanceof NotFoundError || error instanceof StreamNotFoundError) return 404;
  if (error instanceof BadRequestError || error instanceof InvalidCursorError) return 400;
  if (error instanceof WrongExpectedVersionError || error instanceof ConflictError) return 409;
  if (typeof error.statusCode === 'number' && error.statusCode >= 400) return error.statusCode;
  return 500;
}
