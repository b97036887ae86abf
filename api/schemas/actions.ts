import { Type } from '@sinclair/typebox';

/** Every change made through the API may say why; the reason goes into the event's metadata. */
export const Reason = Type.Optional(Type.String({ maxLength: 500, description: 'why: kept in the audit trail' }));
export const ReasonBody = Type.Object({ reason: Reason }, { additionalProperties: false });

/** The error body (api/plugins/error-handler.ts and the role checks). */
export const ActionError = Type.Object({
  error: Type.String(),
  /** Stable and machine-readable (api/plugins/error-handler.ts, ERROR_CODES); always sent (optional
   *  here only so routes that answer `{error, message, statusCode}` type-check: a hook adds it). */
  code: Type.Optional(Type.String()),
  message: Type.String(),
  statusCode: Type.Integer(),
});

/** The answers a change can give besides its own: bad input, no credentials, wrong role. */
export const ACTION_ERRORS = { 400: ActionError, 401: ActionError, 403: ActionError } as const;
