import { StoreUnavailableError } from '../port.js';

/**
 * Errors that mean "the connection or the server went away", after which the same query can
 * succeed later: a restart, a terminated backend, a refused or reset connection, no pooled
 * connection free in time.
 */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception), 57P01-03 (shutdown, crash, starting up), 53300 (too many connections).
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300')
      return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN'].includes(code)) return true;
  }
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(
    error.message,
  );
}

/**
 * Connection errors, and timeouts: the server's statement or lock timeout (57014 query_canceled,
 * 55P03 lock_not_available) and node-postgres's client-side query timeout. All of them say "not
 * now", not "never".
 */
export function isUnavailableError(error: unknown): boolean {
  if (isConnectionError(error)) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === '57014' || code === '55P03' || /Query read timeout/.test(error.message);
}

/** Runs a store call, turning "not now" errors into the port's StoreUnavailableError. */
export async function orUnavailable<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StoreUnavailableError || !isUnavailableError(error)) throw error;
    throw new StoreUnavailableError(operation, { cause: error });
  }
}

export const isUniqueViolation = (error: unknown, constraint: string): boolean =>
  error instanceof Error &&
  (error as { code?: unknown }).code === '23505' &&
  (error as { constraint?: unknown }).constraint === constraint;
