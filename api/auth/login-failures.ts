import type { Pool } from '../../infra/db.js';

/**
 * Failed logins counted per email, whether or not an account has it: a locked address and an
 * unknown one look the same. @fastify/rate-limit covers the per-IP side; it has no notion of an
 * account that many IPs try, hence this small counter.
 */
export interface FailurePolicy {
  maxFailures: number;
  windowMs: number;
}

export async function isLocked(pool: Pool, email: string, now: Date, policy: FailurePolicy): Promise<boolean> {
  const { rows } = await pool.query(
    'SELECT 1 FROM admin.login_failures WHERE email = $1 AND failures >= $2 AND window_started_at > $3',
    [email, policy.maxFailures, new Date(now.getTime() - policy.windowMs)],
  );
  return rows.length > 0;
}

/** Counts one failure; a window that has passed starts again at this one. */
export async function recordFailure(pool: Pool, email: string, now: Date, policy: FailurePolicy): Promise<void> {
  await pool.query(
    `INSERT INTO admin.login_failures AS f (email, failures, window_started_at) VALUES ($1, 1, $2)
     ON CONFLICT (email) DO UPDATE SET
       failures = CASE WHEN f.window_started_at > $3 THEN f.failures + 1 ELSE 1 END,
       window_started_at = CASE WHEN f.window_started_at > $3 THEN f.window_started_at ELSE $2 END`,
    [email, now, new Date(now.getTime() - policy.windowMs)],
  );
}

export async function clearFailures(pool: Pool, email: string): Promise<void> {
  await pool.query('DELETE FROM admin.login_failures WHERE email = $1', [email]);
}
