import type pg from 'pg';
import type { EventStore, RecordedEvent } from '../../eventstore/port.js';
import { createPool } from '../../infra/db.js';
import type { Logger } from '../../infra/logger.js';
import { assertSchemaName, READ_MODEL_SCHEMA, withClient } from '../shared/sql.js';
import { AdvisoryLock } from './advisory-lock.js';
import { applyBatch, type BatchHooks, CheckpointMovedError, moveIdleCheckpoint } from './apply-batch.js';
import { ensureCheckpointRow, readCheckpoint } from './checkpoints.js';
import { EventBuffer } from './event-buffer.js';
import { filterFor, toProjectionEvent } from './events.js';
import { type Lag, measureLag } from './lag.js';
import { LeaderLoop, type LeaderState } from './leader-loop.js';
import type { ProjectionEvent, ReadModel } from './types.js';

export interface ProjectorOptions {
  store: EventStore;
  /** The read models' database (the advisory lock needs its own session on it). */
  databaseUrl: string;
  model: ReadModel;
  /** Connections for the batch transactions; a small pool of its own when absent. */
  pool?: pg.Pool;
  schema?: string;
  /** Most events per transaction: catch-up runs full batches, live ones are what arrived. */
  batchSize?: number;
  /** Live, how long to wait for more events before committing a partial batch. */
  lingerMs?: number;
  /** How often a standby instance tries to take the lock. */
  lockPollMs?: number;
  /** First delay after an error (doubles up to 30 s). */
  retryDelayMs?: number;
  /**
   * With no event of its own for this long, the checkpoint moves to where the subscription has
   * got to (the events in between are not this projection's), so lag readings stay cheap.
   */
  idleCheckpointMs?: number;
  logger?: Logger;
  hooks?: BatchHooks & {
    /** After each commit; `committedAt` is Date.now() right after COMMIT returned. */
    onBatch?(batch: { events: readonly ProjectionEvent[]; committedAt: number; durationMs: number }): void;
  };
}

export type ProjectorState = LeaderState;

export interface ProjectorStats {
  name: string;
  schema: string;
  state: ProjectorState;
  checkpoint: string | null;
  /** Since this process started the projector. */
  eventsProcessed: number;
  batches: number;
  lastBatchSize: number;
  lastBatchMs: number;
  /** Events per second over the last ten seconds. */
  eventsPerSecond: number;
  /** occurredAt of the last projected event. */
  lastEventAt: string | null;
  lag: Lag;
  lastError: string | null;
}

const THROUGHPUT_WINDOW_MS = 10_000;

/**
 * Follows the event store from the projection's checkpoint and applies batches, each in one
 * transaction with the checkpoint. Only the holder of the projection's advisory lock applies;
 * another instance stays on standby and takes over when the holder's session ends. On any error
 * (PostgreSQL restart, store hiccup) it lets go of everything, waits, re-takes the lock and
 * resumes from the stored checkpoint: at-least-once delivery, exactly-once effect.
 */
export class Projector {
  readonly name: string;
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly leader: LeaderLoop;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly idleCheckpointMs: number;
  private checkpoint: string | null = null;
  private counters = { events: 0, batches: 0, lastBatchSize: 0, lastBatchMs: 0 };
  private lastEventAt: string | null = null;
  private lastError: string | null = null;
  private recent: { at: number; events: number }[] = [];

  constructor(private readonly options: ProjectorOptions) {
    this.name = options.model.name;
    this.schema = assertSchemaName(options.schema ?? READ_MODEL_SCHEMA);
    this.ownsPool = options.pool === undefined;
    this.pool = options.pool ?? createPool(options.databaseUrl, { max: 2, applicationName: `projector ${this.name}` });
    this.leader = new LeaderLoop({
      lock: new AdvisoryLock(options.databaseUrl, `sms-agent projection ${this.schema}.${this.name}`),
      what: 'projector',
      run: (signal) => this.follow(signal),
      resumeAtOnce: (error) => error instanceof CheckpointMovedError,
      lockPollMs: options.lockPollMs,
      retryDelayMs: options.retryDelayMs,
      maxRetryDelayMs: 30_000,
      logger: options.logger,
      logFields: { projection: this.name },
      onError: (error) => {
        this.lastError = error instanceof Error ? error.message : String(error);
      },
    });
    this.batchSize = options.batchSize ?? 5000;
    this.lingerMs = options.lingerMs ?? 5;
    this.idleCheckpointMs = options.idleCheckpointMs ?? 5_000;
  }

  private get state(): ProjectorState {
    return this.leader.state;
  }

  /** Starts in the background; resolves once the loop runs (not once the lock is held). */
  start(): void {
    this.leader.start();
  }

  /** Finishes the batch in flight, releases the lock and closes its own pool. Idempotent. */
  async stop(): Promise<void> {
    await this.leader.stop();
    if (this.ownsPool && !this.pool.ended) await this.pool.end();
  }

  /** Runs until stopped or failed; each batch commits with its checkpoint. */
  private async follow(signal: AbortSignal): Promise<void> {
    const { model, store } = this.options;
    await ensureCheckpointRow(this.pool, this.schema, this.name);
    let checkpoint = await readCheckpoint(this.pool, this.schema, this.name);
    this.checkpoint = checkpoint;
    const subscription = store.subscribeToAll({ from: checkpoint ?? undefined, filter: filterFor(model), signal });
    const buffer = new EventBuffer<RecordedEvent>(subscription, this.batchSize * 2);
    const onAbort = () => buffer.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const recorded = await buffer.take(this.batchSize, this.lingerMs, this.idleCheckpointMs);
        if (signal.aborted) return;
        if (recorded.length === 0) {
          if (buffer.finished) throw new Error('event subscription ended');
          // Idle: every event taken is applied, so where the subscription has got to is this
          // projection's position too (one cheap write every idleCheckpointMs at most).
          const to = subscription.deliveredTo?.();
          if (to === undefined || to === checkpoint) continue;
          const expected = checkpoint;
          await moveIdleCheckpoint(this.pool, { schema: this.schema, name: this.name, expected, to });
          checkpoint = to;
          this.checkpoint = to;
          continue;
        }
        const events = recorded.map(toProjectionEvent);
        const started = performance.now();
        const expected = checkpoint;
        checkpoint = await withClient(this.pool, (client) =>
          applyBatch(client, { schema: this.schema, model, events, expected }, this.options.hooks),
        );
        this.recordBatch(events, performance.now() - started);
        this.checkpoint = checkpoint;
        this.lastError = null;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      buffer.close();
      await subscription.close().catch(() => {});
    }
  }

  private recordBatch(events: readonly ProjectionEvent[], durationMs: number) {
    const now = Date.now();
    this.counters.events += events.length;
    this.counters.batches += 1;
    this.counters.lastBatchSize = events.length;
    this.counters.lastBatchMs = Math.round(durationMs * 10) / 10;
    this.lastEventAt = events.at(-1)?.metadata.occurredAt ?? this.lastEventAt;
    this.recent.push({ at: now, events: events.length });
    while ((this.recent[0]?.at ?? now) < now - THROUGHPUT_WINDOW_MS) this.recent.shift();
    this.options.hooks?.onBatch?.({ events, committedAt: now, durationMs });
  }

  /** True when no event this projection handles is past its checkpoint. */
  async caughtUp(): Promise<boolean> {
    if (this.state !== 'running') return false;
    const lag = await measureLag(this.options.store, this.checkpoint, filterFor(this.options.model), { cap: 1 });
    return lag.events === 0;
  }

  async stats(): Promise<ProjectorStats> {
    const now = Date.now();
    const windowEvents = this.recent
      .filter((b) => b.at >= now - THROUGHPUT_WINDOW_MS)
      .reduce((n, b) => n + b.events, 0);
    const lag = await measureLag(this.options.store, this.checkpoint, filterFor(this.options.model));
    return {
      name: this.name,
      schema: this.schema,
      state: this.state,
      checkpoint: this.checkpoint,
      eventsProcessed: this.counters.events,
      batches: this.counters.batches,
      lastBatchSize: this.counters.lastBatchSize,
      lastBatchMs: this.counters.lastBatchMs,
      eventsPerSecond: Math.round(windowEvents / (THROUGHPUT_WINDOW_MS / 1000)),
      lastEventAt: this.lastEventAt,
      lag,
      lastError: this.lastError,
    };
  }
}
