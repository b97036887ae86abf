import type pg from 'pg';
import { createPool, type PgTimeouts } from '../../infra/db.js';
import type { Logger } from '../../infra/logger.js';
import {
  type AppendResult,
  type Checkpoint,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SnapshotStore,
  StreamNotFoundError,
  type SubscribeOptions,
  type Subscription,
} from '../port.js';
import { appendEvents } from './append.js';
import { decodeCheckpoint, encodeCheckpoint, LOG_END, LOG_START, type LogPosition } from './checkpoint.js';
import { orUnavailable } from './errors.js';
import { type Holdback, readHoldback } from './horizon.js';
import { Notifier } from './notifier.js';
import { likePrefix, SubscriptionPolls } from './polls.js';
import { type EventRow, toRecordedEvent } from './rows.js';
import { migrate, type StoreNames, storeNames } from './schema.js';
import { postgresSnapshots } from './snapshots.js';
import {
  currentRevisionSql,
  type FilterShape,
  headSql,
  type NotifyMode,
  notifySql,
  readAllSql,
  readStreamSql,
} from './statements.js';
import { DEFAULT_TUNING, PgSubscription, type SubscriptionTuning } from './subscription.js';

export interface PostgresEventStoreOptions {
  url: string;
  /** Schema holding the `events` and `streams` tables; default `public`. */
  schema?: string;
  /** A pool to share; otherwise the store makes (and closes) its own. */
  pool?: pg.Pool;
  logger?: Logger;
  subscription?: Partial<SubscriptionTuning>;
  /**
   * How appends wake subscribers (see README): 'auto' (default) notifies inside the append
   * transaction when it is this store's only append in flight, and with one coalesced NOTIFY
   * after commit when appends overlap.
   */
  notify?: NotifyMode | 'auto';
  /** Timeouts of the store's own pool and LISTEN connection (a shared `pool` keeps its own); see infra/db.ts. */
  timeouts?: Partial<PgTimeouts>;
  /**
   * Client-side deadline of each append query (default 3 s). Short on purpose: the webhook waits
   * for the append, and with the pool's connect wait it must answer well inside Twilio's 15 s.
   */
  appendTimeoutMs?: number;
}

export const DEFAULT_APPEND_TIMEOUT_MS = 3_000;

const MAX_REVISION = 9223372036854775807n;

/** The default event store: PostgreSQL tables `events` and `streams` (see ../README.md). */
export class PostgresEventStore implements EventStore {
  readonly kind = 'postgres' as const;
  readonly names: StoreNames;
  readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly notifier: Notifier;
  private readonly tuning: SubscriptionTuning;
  private readonly subscriptions = new Set<PgSubscription>();
  /** Subscriptions' polls; those that poll together share one query (see polls.ts). */
  readonly polls: SubscriptionPolls;
  readonly snapshots: SnapshotStore;
  private readonly notifyMode: NotifyMode | 'auto';
  private appendsInFlight = 0;
  private notifying: Promise<void> | undefined;
  private notifyAgain = false;

  constructor(private readonly options: PostgresEventStoreOptions) {
    this.names = storeNames(options.schema ?? 'public');
    this.ownsPool = options.pool === undefined;
    this.pool =
      options.pool ?? createPool(options.url, { applicationName: 'sms-agent-eventstore', timeouts: options.timeouts });
    this.notifier = new Notifier(options.url, this.names.channel, options.logger, options.timeouts);
    this.tuning = { ...DEFAULT_TUNING, ...options.subscription };
    this.polls = new SubscriptionPolls(this.pool, this.names, this.tuning.batchSize, this.tuning.minPollIntervalMs);
    this.notifyMode = options.notify ?? 'auto';
    this.snapshots = postgresSnapshots(this.pool, this.names);
  }

  /** Whether the shared LISTEN connection is up (live wake-ups); false before the first subscription. */
  get listening(): boolean {
    return this.notifier.connected;
  }

  /** Creates the tables if missing (idempotent); the `migrate` command calls it. */
  migrate(): Promise<void> {
    return migrate(this.pool, this.names);
  }

  async append(
    stream: string,
    events: NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    // Notifying commits queue behind one another (WAL flush included) in PostgreSQL, so
    // overlapping appends leave the signal to one NOTIFY after they commit.
    const notify =
      this.notifyMode === 'auto' ? (this.appendsInFlight === 0 ? 'in-transaction' : 'after-commit') : this.notifyMode;
    this.appendsInFlight++;
    try {
      const expected = options.expectedRevision ?? 'any';
      const timeoutMs = this.options.appendTimeoutMs ?? DEFAULT_APPEND_TIMEOUT_MS;
      const result = await orUnavailable('append', () =>
        appendEvents(this.pool, this.names, stream, events, expected, notify, timeoutMs),
      );
      if (result.position !== undefined) {
        // This store's own subscribers need no round trip through the server.
        this.notifier.wakeAll();
        if (notify === 'after-commit') this.signal();
      }
      return result;
    } finally {
      this.appendsInFlight--;
    }
  }

  /**
   * NOTIFY after commit, coalesced: one in flight at a time, plus one more if appends committed
   * meanwhile. A lost signal (crash, dropped connection) only delays subscribers to their
   * fallback poll; it never loses events, which are always read from the table.
   */
  private signal(): void {
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = this.pool
      .query({ name: `es:${this.names.schema}:notify`, text: notifySql(this.names) })
      .then(
        () => {},
        (error: unknown) => this.options.logger?.debug({ err: error }, 'event store NOTIFY failed'),
      )
      .finally(() => {
        this.notifying = undefined;
        if (this.notifyAgain) {
          this.notifyAgain = false;
          this.signal();
        }
      });
  }

  readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return orUnavailable('readStream', () => this.readStreamNow(stream, options));
  }

  private async readStreamNow(stream: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    const direction = options.direction ?? 'forwards';
    const from = options.fromRevision ?? (direction === 'forwards' ? 0n : MAX_REVISION);
    const { rows } = await this.pool.query<EventRow>({
      name: `es:${this.names.schema}:read-stream:${direction}`,
      text: readStreamSql(this.names, direction),
      values: [stream, String(from), options.maxCount ?? null],
    });
    if (rows.length === 0) {
      const exists = await this.pool.query({
        name: `es:${this.names.schema}:current-revision`,
        text: currentRevisionSql(this.names),
        values: [stream],
      });
      if (exists.rowCount === 0) throw new StreamNotFoundError(stream);
    }
    return rows.map(toRecordedEvent);
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return orUnavailable('readAll', () => this.readAllNow(options));
  }

  private async readAllNow(options: ReadAllOptions): Promise<RecordedEvent[]> {
    const direction = options.direction ?? 'forwards';
    const from = options.from ? decodeCheckpoint(options.from) : direction === 'forwards' ? LOG_START : LOG_END;
    const prefixes = options.filter?.streamPrefixes ?? [];
    const types = options.filter?.eventTypes ?? [];
    const shape: FilterShape = { prefixes: prefixes.length > 0, types: types.length > 0 };
    const values: unknown[] = [from.transactionId, from.position, options.maxCount ?? null];
    if (shape.prefixes) values.push(prefixes.map(likePrefix));
    if (shape.types) values.push(types);
    const { rows } = await this.pool.query<EventRow>({
      name: `es:${this.names.schema}:read-all:${direction}:${shape.prefixes ? 'p' : ''}${shape.types ? 't' : ''}`,
      text: readAllSql(this.names, direction, shape),
      values,
    });
    return rows.map(toRecordedEvent);
  }

  headCheckpoint(): Promise<Checkpoint | undefined> {
    return orUnavailable('headCheckpoint', () => this.headCheckpointNow());
  }

  /**
   * Committed events that subscribers cannot see yet because an older transaction is still open
   * anywhere in the cluster (see README: the horizon), and the transaction holding them back.
   */
  holdback(): Promise<Holdback> {
    return orUnavailable('holdback', () => readHoldback(this.pool, this.names));
  }

  private async headCheckpointNow(): Promise<Checkpoint | undefined> {
    const { rows } = await this.pool.query<{ transaction_id: string; position: string }>({
      name: `es:${this.names.schema}:head`,
      text: headSql(this.names),
    });
    const row = rows[0];
    return row ? encodeCheckpoint({ transactionId: row.transaction_id, position: row.position }) : undefined;
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    let start: Promise<LogPosition> | LogPosition;
    if (options.from === undefined || options.from === 'start') start = LOG_START;
    else if (options.from === 'end') start = this.headCheckpoint().then((h) => (h ? decodeCheckpoint(h) : LOG_START));
    else start = decodeCheckpoint(options.from);
    const subscription = new PgSubscription(
      {
        polls: this.polls,
        notifier: this.notifier,
        tuning: this.tuning,
        logger: this.options.logger,
        onClose: (s) => this.subscriptions.delete(s),
      },
      start,
      options.filter,
      options.signal,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.notifier.close();
    this.notifyAgain = false;
    await this.notifying;
    if (this.ownsPool) await this.pool.end();
  }
}
