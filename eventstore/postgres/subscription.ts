import type { Logger } from '../../infra/logger.js';
import type { Checkpoint, EventFilter, RecordedEvent, Subscription } from '../port.js';
import { encodeCheckpoint, type LogPosition } from './checkpoint.js';
import { isUnavailableError } from './errors.js';
import type { Notifier } from './notifier.js';
import type { Poll, SubscriptionPolls } from './polls.js';

export interface SubscriptionTuning {
  /** Events scanned per catch-up query (those the filter matches are delivered). */
  batchSize: number;
  /** Poll this often even without a notification (lost NOTIFY, listener down). */
  fallbackPollMs: number;
  /**
   * Re-poll delay while committed events wait behind an open transaction: starts at
   * heldBackPollMs and doubles up to heldBackMaxMs. The open transaction may not be an append
   * (any write transaction in the cluster holds the horizon back) and then sends no NOTIFY.
   */
  heldBackPollMs: number;
  heldBackMaxMs: number;
  /** Least time between two rounds of one process's polls (see SubscriptionPolls). */
  minPollIntervalMs: number;
}

export const DEFAULT_TUNING: SubscriptionTuning = {
  batchSize: 2_000,
  fallbackPollMs: 1_000,
  heldBackPollMs: 5,
  heldBackMaxMs: 50,
  minPollIntervalMs: 10,
};

export interface SubscriptionDeps {
  /** The store's polls, shared by the subscriptions that poll together. */
  polls: SubscriptionPolls;
  notifier: Notifier;
  tuning: SubscriptionTuning;
  logger?: Logger;
  onClose: (subscription: PgSubscription) => void;
}

/**
 * Catches up in batches, then follows live: it polls after every NOTIFY wake-up, every
 * fallbackPollMs, and quickly while events are held back above the horizon. Connection errors
 * (a restarted server) are retried with backoff, so the subscription outlives them.
 */
export class PgSubscription implements Subscription {
  private readonly stop = new AbortController();
  private wake: () => void = () => {};
  private dirty = true;
  private started = false;
  private cursor: LogPosition = { transactionId: '0', position: '0' };
  /** The cursor once every event of the poll that reached it was taken (see deliveredTo). */
  private delivered: LogPosition | undefined;

  constructor(
    private readonly deps: SubscriptionDeps,
    /** Exclusive start; a promise when it is the log's head, looked up at subscribe time. */
    private readonly start: LogPosition | Promise<LogPosition>,
    private readonly filter: EventFilter | undefined,
    signal: AbortSignal | undefined,
  ) {
    if (start instanceof Promise) start.catch(() => {});
    if (signal?.aborted) this.stop.abort();
    else signal?.addEventListener('abort', () => void this.close(), { once: true, signal: this.stop.signal });
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.started) throw new Error('A subscription can be iterated only once');
    this.started = true;
    return this.run();
  }

  deliveredTo(): Checkpoint | undefined {
    return this.delivered && encodeCheckpoint(this.delivered);
  }

  async close(): Promise<void> {
    if (this.stop.signal.aborted) return;
    this.stop.abort();
    this.wake();
    this.deps.onClose(this);
  }

  private get closed(): boolean {
    return this.stop.signal.aborted;
  }

  private async *run(): AsyncGenerator<RecordedEvent> {
    const { notifier, tuning } = this.deps;
    const unsubscribe = notifier.subscribe(() => {
      this.dirty = true;
      this.wake();
    });
    let heldBackDelay = tuning.heldBackPollMs;
    let failures = 0;
    try {
      // A failed head lookup (from: 'end') fails the iteration, not an unhandled rejection.
      this.cursor = await this.start;
      // A wake-up that arrives after a poll started may not be in its snapshot: clear the flag
      // when the poll starts, so such a wake-up triggers another poll.
      const startPoll = () => {
        this.dirty = false;
        return this.deps.polls.next(this.cursor, this.filter);
      };
      // While catching up, the next batch is fetched while this one is being consumed.
      let prefetched: Promise<Poll> | undefined;
      while (!this.closed) {
        let poll: Poll;
        try {
          poll = await (prefetched ?? startPoll());
          failures = 0;
        } catch (error) {
          if (this.closed) return;
          // A timed-out poll (busy server, lost network) is retried like a lost connection.
          if (!isUnavailableError(error)) throw error;
          const log = this.deps.logger;
          if (failures === 0) log?.warn({ err: error }, 'event store subscription lost its connection; retrying');
          else log?.debug({ err: error }, 'event store subscription still without a connection; retrying');
          await this.waitFor(Math.min(100 * 2 ** failures++, 2_000), false);
          continue;
        } finally {
          prefetched = undefined;
        }
        if (poll.cursor) this.cursor = poll.cursor;
        if (poll.full) {
          prefetched = startPoll();
          prefetched.catch(() => {}); // awaited (and its error handled) on the next turn
        }
        for (const event of poll.events) {
          if (this.closed) return;
          yield event;
        }
        // Resumed after the last yield: the consumer has taken every event up to the cursor.
        if (poll.cursor) this.delivered = poll.cursor;
        if (poll.full) continue;
        // Progress (the scan moved, matched or not) resets the held-back delay, alike for a group polling together.
        if (poll.cursor) heldBackDelay = tuning.heldBackPollMs;
        if (poll.heldBack) {
          await this.waitFor(heldBackDelay, true);
          heldBackDelay = Math.min(heldBackDelay * 2, tuning.heldBackMaxMs);
        } else {
          heldBackDelay = tuning.heldBackPollMs;
          await this.waitFor(tuning.fallbackPollMs, true);
        }
      }
    } finally {
      unsubscribe();
      await this.close();
    }
  }

  /** Waits `ms`, or less when closed or (if `wakeable`) when a notification arrives. */
  private async waitFor(ms: number, wakeable: boolean): Promise<void> {
    if (this.closed || (wakeable && this.dirty)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      this.wake = wakeable ? done : () => (this.closed ? done() : undefined);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
    this.wake = () => {};
  }
}
