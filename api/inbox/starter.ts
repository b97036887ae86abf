import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { smsTaskInputFrom } from '../../activities/sms-received.js';
import type { EventStore, RecordedEvent } from '../../eventstore/port.js';
import type { Pool } from '../../infra/db.js';
import type { Logger } from '../../infra/logger.js';
import { AdvisoryLock } from '../../projections/runtime/advisory-lock.js';
import { EventBuffer } from '../../projections/runtime/event-buffer.js';
import { LeaderLoop } from '../../projections/runtime/leader-loop.js';
import { SMS_TASK_VERSION } from '../../workflows/types.js';
import { InboxCheckpointMovedError, readInboxCheckpoint, saveInboxCheckpoint } from './checkpoint.js';
import { type StartOutcome, startSmsTask } from './start-task.js';

/** The events the inbox starts workflows for. */
export const INBOX_FILTER = { eventTypes: ['SmsReceived'] };
export const SMS_INBOX = 'sms';

export interface InboxStarterOptions {
  store: EventStore;
  /** The app database: the checkpoint table. */
  pool: Pool;
  /** The same database, for the advisory lock's own session. */
  databaseUrl: string;
  temporal: Client;
  taskQueue: string;
  /** Checkpoint row and lock name; one active starter per name and database. */
  name?: string;
  /** Starts in flight at most (one batch). */
  concurrency?: number;
  /**
   * Least time between two checkpoint saves (default 100 ms): while SMS keep coming, one save
   * covers every batch started since the last; once they stop, the rest is saved when this time
   * since the last save has passed (at once if it has), and on stop. A save lost in a crash only
   * repeats starts, which Temporal refuses.
   */
  saveEveryMs?: number;
  /** How often a standby instance tries to take the lock. */
  lockPollMs?: number;
  /** First delay after a failed start or a failed run (doubles up to maxRetryDelayMs). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Deadline of one start call. */
  startTimeoutMs?: number;
  logger?: Logger;
  hooks?: {
    /** After each accepted start; `delayMs` is from the event's commit to the start's answer. */
    onStart?(outcome: StartOutcome, delayMs: number): void;
    onStartError?(error: unknown): void;
  };
}

export type InboxStarterState = 'idle' | 'standby' | 'active' | 'retrying' | 'stopped';

export interface InboxStarterStats {
  state: InboxStarterState;
  /** Position of the last event whose start succeeded, with everything before it. */
  checkpoint: string | null;
  /** Since this process started it. */
  accepted: number;
  alreadyStarted: number;
  startErrors: number;
  inFlight: number;
  lastStartedAt: string | null;
  /** From the last started event's commit to Temporal's answer to its start. */
  lastStartDelayMs: number | null;
  /** The last failed start or run; cleared when a start succeeds. */
  lastError: string | null;
}

/**
 * The SMS inbox starter: follows the event log's SmsReceived events and starts workflow
 * `sms-<MessageSid>` for each, so the webhook only has to append the event to answer. A batch
 * (up to `concurrency` events) is started concurrently, then the checkpoint moves past it:
 * at-least-once starting, and Temporal's id policies make a repeated start a no-op. A start that
 * fails (Temporal down) is retried with backoff until it succeeds; no event is skipped. One
 * instance per database is active (a PostgreSQL session advisory lock); others stand by.
 */
export class InboxStarter {
  readonly name: string;
  private readonly leader: LeaderLoop;
  private readonly concurrency: number;
  private checkpoint: string | null = null;
  private counts = { accepted: 0, alreadyStarted: 0, startErrors: 0, inFlight: 0 };
  private lastStartedAt: string | null = null;
  private lastStartDelayMs: number | null = null;
  private lastError: string | null = null;
  /** Starts are failing now: logged once per outage, not once per attempt. */
  private failing = false;

  constructor(private readonly options: InboxStarterOptions) {
    this.name = options.name ?? SMS_INBOX;
    this.concurrency = options.concurrency ?? 32;
    this.leader = new LeaderLoop({
      lock: new AdvisoryLock(options.databaseUrl, `sms-agent inbox ${this.name}`),
      what: 'SMS inbox starter',
      run: (signal) => this.follow(signal),
      resumeAtOnce: (error) => error instanceof InboxCheckpointMovedError,
      lockPollMs: options.lockPollMs,
      retryDelayMs: options.retryDelayMs ?? 500,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 5_000,
      logger: options.logger,
      logFields: { inbox: this.name },
      onError: (error) => {
        this.lastError = error instanceof Error ? error.message : String(error);
      },
    });
  }

  /** Runs in the background (standing by if another instance is active); returns at once. */
  start(): void {
    this.leader.start();
  }

  /** Cancels the starts in flight (their events stay after the checkpoint) and lets go of the lock. */
  async stop(): Promise<void> {
    await this.leader.stop();
  }

  stats(): InboxStarterStats {
    const state = this.leader.state;
    return {
      state: state === 'running' ? 'active' : state,
      checkpoint: this.checkpoint,
      ...this.counts,
      lastStartedAt: this.lastStartedAt,
      lastStartDelayMs: this.lastStartDelayMs,
      lastError: this.lastError,
    };
  }

  private async follow(signal: AbortSignal): Promise<void> {
    const { pool, store } = this.options;
    let { checkpoint } = await readInboxCheckpoint(pool, this.name);
    this.checkpoint = checkpoint;
    this.options.logger?.info({ inbox: this.name, checkpoint }, 'SMS inbox starter active');
    // The store wakes its subscriptions on its own appends and on NOTIFY: a webhook's event
    // arrives here within a poll's round trip, not a polling interval.
    const subscription = store.subscribeToAll({ from: checkpoint ?? undefined, filter: INBOX_FILTER, signal });
    const buffer = new EventBuffer<RecordedEvent>(subscription, this.concurrency * 4);
    // Every start in flight, and every retry's sleep, listens on the signal.
    setMaxListeners(this.concurrency * 2 + 10, signal);
    const onAbort = () => buffer.close();
    signal.addEventListener('abort', onAbort, { once: true });
    // Started up to `this.checkpoint`, saved up to `checkpoint`. Under load a save per batch was
    // about one per SMS (0.8 at 200/s): the saves are spaced by saveEveryMs instead.
    const saveEveryMs = this.options.saveEveryMs ?? 100;
    let unsaved = 0;
    let savedAt = 0;
    const save = async () => {
      const next = this.checkpoint as string;
      await saveInboxCheckpoint(pool, this.name, checkpoint, next, unsaved);
      checkpoint = next;
      unsaved = 0;
      savedAt = Date.now();
    };
    try {
      while (!signal.aborted) {
        const pending = this.checkpoint !== checkpoint;
        // No linger: whatever has arrived is the batch, so an idle system starts at once.
        const batch = await buffer.take(
          this.concurrency,
          0,
          pending ? Math.max(0, savedAt + saveEveryMs - Date.now()) : undefined,
        );
        if (signal.aborted) return;
        if (batch.length === 0) {
          if (buffer.finished) throw new Error('event subscription ended');
          await save(); // quiet, or the spacing has passed
          continue;
        }
        const outcomes = await Promise.all(batch.map((event) => this.startWithRetry(event, signal)));
        if (signal.aborted) return;
        unsaved += outcomes.filter((o) => o === 'accepted').length;
        this.checkpoint = batch.at(-1)?.position as string;
        if (Date.now() - savedAt >= saveEveryMs) await save();
      }
    } finally {
      // Stopping: keep what was started (best effort; a lost save only repeats starts).
      if (this.checkpoint !== checkpoint) await save().catch(() => {});
      signal.removeEventListener('abort', onAbort);
      buffer.close();
      await subscription.close().catch(() => {});
    }
  }

  /** Resolves once Temporal took the start, or undefined when aborted first. */
  private async startWithRetry(event: RecordedEvent, signal: AbortSignal): Promise<StartOutcome | undefined> {
    const { temporal, taskQueue, logger: log, hooks } = this.options;
    // Started from the event itself: the task's first step need not append it again. At the
    // current generation: the run needs no patch marker (a history event and a visibility write).
    const input = { ...smsTaskInputFrom(event.data), inLog: true, version: SMS_TASK_VERSION };
    const maxDelay = this.options.maxRetryDelayMs ?? 5_000;
    let delay = Math.min(this.options.retryDelayMs ?? 500, maxDelay);
    while (!signal.aborted) {
      this.counts.inFlight++;
      try {
        const outcome = await startSmsTask(temporal, taskQueue, input, {
          signal,
          timeoutMs: this.options.startTimeoutMs ?? 10_000,
        });
        if (outcome === 'accepted') this.counts.accepted++;
        else this.counts.alreadyStarted++;
        const now = Date.now();
        this.lastStartedAt = new Date(now).toISOString();
        this.lastStartDelayMs = now - event.recordedAt.getTime();
        this.lastError = null;
        if (this.failing) log?.info({ inbox: this.name }, 'SMS inbox starter: Temporal takes starts again');
        this.failing = false;
        hooks?.onStart?.(outcome, this.lastStartDelayMs);
        return outcome;
      } catch (error) {
        if (signal.aborted) return undefined;
        this.counts.startErrors++;
        this.lastError = error instanceof Error ? error.message : String(error);
        hooks?.onStartError?.(error);
        const fields = { inbox: this.name, workflowId: `sms-${input.messageSid}`, err: error, retryInMs: delay };
        if (!this.failing) log?.error(fields, 'SMS inbox starter: starting a workflow failed; retrying until it works');
        else log?.debug(fields, 'SMS inbox starter: start failed again');
        this.failing = true;
      } finally {
        this.counts.inFlight--;
      }
      await sleep(delay, undefined, { signal }).catch(() => {});
      delay = Math.min(delay * 2, maxDelay);
    }
    return undefined;
  }
}
