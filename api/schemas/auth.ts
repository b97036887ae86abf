import { Type } from '@sinclair/typebox';

export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('ops'), Type.Literal('analyst')]);

export const ErrorResponse = Type.Object({
  error: Type.String(),
  /** Stable and machine-readable (api/plugins/error-handler.ts, ERROR_CODES); always sent (optional
   *  here only so routes that answer `{error, message, statusCode}` type-check: a hook adds it). */
  code: Type.Optional(Type.String()),
  message: Type.String(),
  statusCode: Type.Integer(),
});

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    // Bounded: scrypt over a megabyte-long password is a cheap way to burn our CPU.
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

/** The caller; sessions also get the CSRF token to send back in X-CSRF-Token on every change. */
export const MeResponse = Type.Object({
  name: Type.String(),
  role: RoleSchema,
  kind: Type.Union([Type.Literal('session'), Type.Literal('token'), Type.Literal('bootstrap')]),
  email: Type.Optional(Type.String()),
  csrfToken: Type.Optional(Type.String()),
});

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role: RoleSchema,
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);

export const TokenInfo = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  role: RoleSchema,
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

/** The one answer that holds the token itself. */
export const CreatedToken = Type.Composite([TokenInfo, Type.Object({ token: Type.String() })]);

export const TokenList = Type.Object({ items: Type.Array(TokenInfo) });

export const TokenParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
