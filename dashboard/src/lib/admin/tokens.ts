import type { paths } from '../api/schema.js';

export type TokenInfo = paths['/api/tokens']['get']['responses'][200]['content']['application/json']['items'][number];
export type CreatedToken = paths['/api/tokens']['post']['responses'][201]['content']['application/json'];
export type TokenStatus = 'active' | 'revoked' | 'expired';

/** Revoked wins over expired: it says someone acted. */
export function tokenStatus(token: Pick<TokenInfo, 'revokedAt' | 'expiresAt'>, now: Date): TokenStatus {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && new Date(token.expiresAt).getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** Active tokens first, then by newest; the API's order is kept otherwise. */
export function sortTokens<T extends TokenInfo>(tokens: readonly T[], now: Date): T[] {
  const rank = (t: T) => (tokenStatus(t, now) === 'active' ? 0 : 1);
  return [...tokens].sort((a, b) => rank(a) - rank(b) || b.createdAt.localeCompare(a.createdAt));
}

/** The "expires in days" field: blank is never; otherwise a whole number 1-3650 (the API's bounds). */
export function parseExpiresInDays(value: string | number | null | undefined): number | undefined | 'invalid' {
  if (value === null || value === undefined || String(value).trim() === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 3650 ? n : 'invalid';
}
