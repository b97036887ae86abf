import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from '../../infra/db.js';
import type { Role } from '../plugins/admin-auth.js';

/** The cookie that carries a session's id (the id itself; the table keeps only its SHA-256). */
export const SESSION_COOKIE = 'sms_agent_session';

export interface Session {
  idHash: Buffer;
  accountId: string;
  email: string;
  role: Role;
  /** Sent back by the dashboard in X-CSRF-Token on every change. */
  csrfToken: string;
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest();
const secret = () => randomBytes(32).toString('base64url');

/** Opens a session; returns the cookie value (never stored) and the session's CSRF token. */
export async function openSession(
  pool: Pool,
  accountId: string,
  now: Date,
  idleMs: number,
): Promise<{ cookieValue: string; csrfToken: string }> {
  const cookieValue = secret();
  const csrfToken = secret();
  await pool.query(
    'INSERT INTO admin.sessions (id_hash, account_id, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)',
    [sha256(cookieValue), accountId, csrfToken, now],
  );
  // Idle sessions are refused on sight anyway; this only keeps the table small.
  await pool.query('DELETE FROM admin.sessions WHERE last_seen_at < $1', [new Date(now.getTime() - idleMs)]);
  return { cookieValue, csrfToken };
}

/**
 * The live session behind a cookie value, its idle clock restarted; undefined when it is unknown,
 * idle for longer than `idleMs`, or its account is disabled.
 */
export async function touchSession(
  pool: Pool,
  cookieValue: string,
  now: Date,
  idleMs: number,
): Promise<Session | undefined> {
  const { rows } = await pool.query(
    `UPDATE admin.sessions s SET last_seen_at = $2
       FROM admin.accounts a
      WHERE s.id_hash = $1 AND a.id = s.account_id AND a.disabled_at IS NULL AND s.last_seen_at > $3
      RETURNING s.id_hash, s.account_id, s.csrf_token, a.email, a.role`,
    [sha256(cookieValue), now, new Date(now.getTime() - idleMs)],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    idHash: row.id_hash,
    accountId: row.account_id,
    email: row.email,
    role: row.role,
    csrfToken: row.csrf_token,
  };
}

export async function closeSession(pool: Pool, idHash: Buffer): Promise<void> {
  await pool.query('DELETE FROM admin.sessions WHERE id_hash = $1', [idHash]);
}
