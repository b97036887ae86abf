import pg from 'pg';
import type { Config } from './config.js';

// BIGINT (int8) as bigint would leak into JSON; positions and counts fit in numbers except the
// event-store positions, which the adapters read as text on purpose.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));

export type Pool = pg.Pool;

/**
 * Bounds on every PostgreSQL call, so a full pool or an unreachable server fails a request in
 * seconds instead of hanging it (Twilio gives a webhook 15 s). 0 turns one off.
 */
export interface PgTimeouts {
  /** Opening a connection, and also waiting for a pooled one (node-postgres uses one setting for both). */
  connectMs: number;
  /** Server-side `statement_timeout` of the pool's sessions; the client gives up CLIENT_GRACE_MS later. */
  statementMs: number;
  /** `idle_in_transaction_session_timeout` of the pool's sessions: an open transaction holds the event store's horizon. */
  idleInTransactionMs: number;
}

export const DEFAULT_PG_TIMEOUTS: PgTimeouts = { connectMs: 5_000, statementMs: 10_000, idleInTransactionMs: 60_000 };

/**
 * The client-side deadline runs this long past the server's statement timeout: when the server
 * answers, its own timeout (a clean cancel) comes first; when it never answers (network gone),
 * the client's does.
 */
export const CLIENT_GRACE_MS = 1_000;

export const pgTimeouts = (
  config: Pick<Config, 'PG_CONNECT_TIMEOUT_MS' | 'PG_STATEMENT_TIMEOUT_MS' | 'PG_IDLE_IN_TRANSACTION_TIMEOUT_MS'>,
): PgTimeouts => ({
  connectMs: config.PG_CONNECT_TIMEOUT_MS,
  statementMs: config.PG_STATEMENT_TIMEOUT_MS,
  idleInTransactionMs: config.PG_IDLE_IN_TRANSACTION_TIMEOUT_MS,
});

/** node-postgres client options for these timeouts (also for a lone `pg.Client`). */
export function clientTimeoutOptions(timeouts: Partial<PgTimeouts> = {}): pg.ClientConfig {
  const t = { ...DEFAULT_PG_TIMEOUTS, ...timeouts };
  // `false`, not 0: node-postgres sends no setting then, leaving the server's default.
  const on = (ms: number) => (ms > 0 ? ms : undefined);
  return {
    connectionTimeoutMillis: t.connectMs,
    statement_timeout: on(t.statementMs),
    query_timeout: t.statementMs > 0 ? t.statementMs + CLIENT_GRACE_MS : undefined,
    idle_in_transaction_session_timeout: on(t.idleInTransactionMs),
    // A connection whose peer vanished without a FIN is noticed while idle, not only on its next query.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

export function createPool(
  url: string,
  options: { max?: number; applicationName?: string; timeouts?: Partial<PgTimeouts> } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 20,
    application_name: options.applicationName ?? 'sms-agent',
    ...clientTimeoutOptions(options.timeouts),
  });
  // An idle client that loses its server (a PostgreSQL restart) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/** The event store's: the pools' timeouts plus each append's deadline. */
export const eventStoreTimeouts = (
  config: Parameters<typeof pgTimeouts>[0] & Pick<Config, 'EVENTSTORE_APPEND_TIMEOUT_MS'>,
): Partial<PgTimeouts> & { appendMs: number } => ({
  ...pgTimeouts(config),
  appendMs: config.EVENTSTORE_APPEND_TIMEOUT_MS,
});
