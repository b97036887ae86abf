import { Type } from '@sinclair/typebox';
import { defineEvent, type EventOf } from '../events/envelope.js';

/**
 * Events on streams `account-<id>` and `token-<id>`: who may use the admin API. They record the
 * change and its actor (metadata.actor); password hashes and tokens never appear in them.
 */

const Role = Type.Union([Type.Literal('admin'), Type.Literal('ops'), Type.Literal('analyst')]);

export const AccountCreated = defineEvent(
  'AccountCreated',
  Type.Object({ accountId: Type.String({ minLength: 1 }), email: Type.String({ minLength: 3 }), role: Role }),
);
export const AccountDisabled = defineEvent(
  'AccountDisabled',
  Type.Object({ accountId: Type.String({ minLength: 1 }), email: Type.String({ minLength: 3 }) }),
);
export const ApiTokenCreated = defineEvent(
  'ApiTokenCreated',
  Type.Object({
    tokenId: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
    role: Role,
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  }),
);
export const ApiTokenRevoked = defineEvent(
  'ApiTokenRevoked',
  Type.Object({ tokenId: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }) }),
);

export const adminEvents = [AccountCreated, AccountDisabled, ApiTokenCreated, ApiTokenRevoked] as const;

export type AccountCreated = EventOf<typeof AccountCreated>;
export type AccountDisabled = EventOf<typeof AccountDisabled>;
export type ApiTokenCreated = EventOf<typeof ApiTokenCreated>;
export type ApiTokenRevoked = EventOf<typeof ApiTokenRevoked>;
export type AdminEvent = AccountCreated | AccountDisabled | ApiTokenCreated | ApiTokenRevoked;

export const accountStream = (accountId: string) => `account-${accountId}`;
export const tokenStream = (tokenId: string) => `token-${tokenId}`;
