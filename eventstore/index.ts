import type pg from 'pg';
import type { PgTimeouts } from '../infra/db.js';
import type { Logger } from '../infra/logger.js';
import { KurrentDbEventStore } from './kurrentdb/store.js';
import type { EventStore } from './port.js';
import { PostgresEventStore } from './postgres/store.js';
import { ValidatingEventStore } from './validating.js';

export { KurrentDbEventStore } from './kurrentdb/store.js';
export * from './port.js';
export { PostgresEventStore } from './postgres/store.js';
export { domainCatalogue, type EventCatalogue, ValidatingEventStore } from './validating.js';

export interface EventStoreOptions {
  /** postgres:// or postgresql:// for the PostgreSQL adapter; kurrentdb://, esdb:// or kdb:// for KurrentDB. */
  url: string;
  /** PostgreSQL schema of the event tables (default `public`). */
  schema?: string;
  /** A PostgreSQL pool to share with the caller (the store then leaves it open on close). */
  pool?: pg.Pool;
  /** Check appends and upcast reads against the domain catalogue (default true). */
  validate?: boolean;
  logger?: Logger;
  /** PostgreSQL: timeouts of the store's own connections, and each append's deadline (infra/db.ts). */
  timeouts?: Partial<PgTimeouts> & { appendMs?: number };
}

export type EventStoreKind = EventStore['kind'];

export function eventStoreKind(url: string): EventStoreKind {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (/^(kurrentdb|kurrent|esdb|kdb)(\+discover)?$/.test(scheme)) return 'kurrentdb';
  throw new TypeError(
    `Unsupported event store URL scheme "${scheme}:" (use postgres://, kurrentdb://, esdb:// or kdb://)`,
  );
}

function createRawStore(options: EventStoreOptions): PostgresEventStore | KurrentDbEventStore {
  return eventStoreKind(options.url) === 'postgres'
    ? new PostgresEventStore({
        url: options.url,
        schema: options.schema,
        pool: options.pool,
        logger: options.logger,
        timeouts: options.timeouts,
        appendTimeoutMs: options.timeouts?.appendMs,
      })
    : new KurrentDbEventStore({ url: options.url, logger: options.logger });
}

/** The event store for a URL; validating against the domain catalogue unless `validate: false`. */
export function createEventStore(options: EventStoreOptions): EventStore {
  const store = createRawStore(options);
  return options.validate === false ? store : new ValidatingEventStore(store);
}

/**
 * Creates the event store's tables (PostgreSQL; nothing for KurrentDB). Idempotent and safe to
 * run concurrently; the `migrate` command calls it.
 */
export async function migrateEventStore(options: Omit<EventStoreOptions, 'validate'>): Promise<void> {
  const store = createRawStore(options);
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
}
