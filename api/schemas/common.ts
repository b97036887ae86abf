import { type TSchema, Type } from '@sinclair/typebox';

/** The body of every error answer (api/plugins/error-handler.ts and the role checks). */
export const ErrorResponse = Type.Object(
  {
    error: Type.String(),
    message: Type.String(),
    statusCode: Type.Integer(),
    /** Stable and machine-readable: VALIDATION_FAILED, UNAUTHENTICATED, ... (api/plugins/error-handler.ts, ERROR_CODES). */
    code: Type.String(),
  },
  // Open: a 401/403 schema added to another route's answers must not strip fields it sends.
  { $id: 'ErrorResponse', additionalProperties: true },
);

const ref = Type.Ref('ErrorResponse');

/** Security requirements of a route behind requireRole: a bearer token or the session cookie. */
export const STAFF_SECURITY: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { cookieAuth: [] }];

/** The answers every read route can give besides its own: 400, 401, 403 (and 404 with `notFound`). */
export function readResponses<T extends TSchema>(ok: T, options: { notFound?: boolean } = {}) {
  return {
    200: ok,
    400: ref,
    401: ref,
    403: ref,
    ...(options.notFound ? { 404: ref } : {}),
  };
}
