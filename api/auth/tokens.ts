import { randomBytes, randomUUID } from 'node:crypto';
import { ApiTokenCreated, ApiTokenRevoked, tokenStream } from '../../domain/admin/events.js';
import type { EventStore } from '../../eventstore/port.js';
import type { Pool } from '../../infra/db.js';
import type { Role } from '../plugins/admin-auth.js';
import { type ChangeContext, recordChange } from './audit.js';
import { sha256 } from './sessions.js';

/** Tokens start with this, so a leaked one is easy to recognise (and to scan for). */
export const TOKEN_PREFIX = 'sat_';

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const iso = (v: unknown) => (v ? (v as Date).toISOString() : null);
const toToken = (row: Record<string, unknown>): ApiToken => ({
  id: row.id as string,
  name: row.name as string,
  role: row.role as Role,
  createdBy: row.created_by as string,
  createdAt: (row.created_at as Date).toISOString(),
  expiresAt: iso(row.expires_at),
  lastUsedAt: iso(row.last_used_at),
  revokedAt: iso(row.revoked_at),
});
const COLUMNS = 'id, name, role, created_by, created_at, expires_at, last_used_at, revoked_at';

/** Creates a token and records ApiTokenCreated; the secret is returned here and never again. */
export async function createToken(
  pool: Pool,
  store: EventStore,
  input: { name: string; role: Role; expiresInDays?: number },
  context: ChangeContext,
): Promise<ApiToken & { token: string }> {
  const id = randomUUID();
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const expiresAt =
    input.expiresInDays !== undefined ? new Date(context.now.getTime() + input.expiresInDays * 86_400_000) : null;
  const { rows } = await pool.query(
    `INSERT INTO admin.api_tokens (id, name, role, token_hash, created_by, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [id, input.name, input.role, sha256(token), context.actor.name, context.now, expiresAt],
  );
  await recordChange(
    store,
    tokenStream(id),
    'created',
    ApiTokenCreated.type,
    { tokenId: id, name: input.name, role: input.role, expiresAt: expiresAt?.toISOString() ?? null },
    context,
    'no_stream',
  );
  return { ...toToken(rows[0]), token };
}

export async function listTokens(pool: Pool): Promise<ApiToken[]> {
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM admin.api_tokens ORDER BY created_at DESC, id`);
  return rows.map(toToken);
}

/** Revokes a token (at once: every request looks it up); undefined when there is none. Revoking twice records nothing new. */
export async function revokeToken(
  pool: Pool,
  store: EventStore,
  id: string,
  context: ChangeContext,
): Promise<ApiToken | undefined> {
  const { rows } = await pool.query(
    `UPDATE admin.api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
    [id, context.now],
  );
  if (rows[0]) {
    const revoked = toToken(rows[0]);
    await recordChange(
      store,
      tokenStream(id),
      'revoked',
      ApiTokenRevoked.type,
      { tokenId: id, name: revoked.name },
      context,
    );
    return revoked;
  }
  const { rows: existing } = await pool.query(`SELECT ${COLUMNS} FROM admin.api_tokens WHERE id = $1`, [id]);
  return existing[0] ? toToken(existing[0]) : undefined;
}

/** The live token behind a bearer value (not revoked, not expired), its last use noted at most once a minute. */
export async function findLiveToken(pool: Pool, token: string, now: Date): Promise<ApiToken | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const { rows } = await pool.query(
    `SELECT ${COLUMNS} FROM admin.api_tokens
      WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
    [sha256(token), now],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (!row.last_used_at || (row.last_used_at as Date).getTime() < now.getTime() - 60_000) {
    await pool.query('UPDATE admin.api_tokens SET last_used_at = $2 WHERE id = $1', [row.id, now]);
    row.last_used_at = now;
  }
  return toToken(row);
}
