import type { Pool } from '../../infra/db.js';

/**
 * Login attempts counted per email, whether or not an account has it: a locked address and an
 * unknown one look the same. @fastify/rate-limit covers the per-IP side; it has no notion of an
 * account that many IPs try, hence this small counter.
 */
export interface FailurePolicy {
  maxFailures: number;
  windowMs: number;
}

/**
 * Counts this attempt before the password is checked (so parallel guesses cannot slip past the
 * limit) and says whether it may go on: false once `maxFailures` attempts failed in the window.
 * A window that has passed starts again at this attempt; a successful login clears the count.
 */
export async function admitAttempt(pool: Pool, email: string, now: Date, policy: FailurePolicy): Promise<boolean> {
  const { rows } = await pool.query(
    `INSERT INTO admin.login_failures AS f (email, failures, window_started_at) VALUES ($1, 1, $2)
     ON CONFLICT (email) DO UPDATE SET
       failures = CASE WHEN f.window_started_at > $3 THEN f.failures + 1 ELSE 1 END,
       window_started_at = CASE WHEN f.window_started_at > $3 THEN f.window_started_at ELSE $2 END
     RETURNING failures`,
    [email, now, new Date(now.getTime() - policy.windowMs)],
  );
  return (rows[0]?.failures as number) <= policy.maxFailures;
}

export async function clearFailures(pool: Pool, email: string): Promise<void> {
  await pool.query('DELETE FROM admin.login_failures WHERE email = $1', [email]);
}
