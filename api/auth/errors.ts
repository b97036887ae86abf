/** Too many attempts: answered 429 by the error handler (it maps any error's statusCode). */
export class TooManyRequestsError extends Error {
  override name = 'Too Many Requests';
  readonly statusCode = 429;
}
