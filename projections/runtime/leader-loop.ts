import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../infra/logger.js';
import type { AdvisoryLock } from './advisory-lock.js';

export type LeaderState = 'idle' | 'standby' | 'running' | 'retrying' | 'stopped';

export interface LeaderLoopOptions {
  lock: AdvisoryLock;
  /** Names the work in log lines ("projector", "SMS inbox starter"). */
  what: string;
  /**
   * The work, run only while the lock is held. It returns once `signal` aborts (stop, or the
   * lock's session went away) and throws to let go of the lock and start over after a delay.
   */
  run(signal: AbortSignal): Promise<void>;
  /** Errors after which the work starts over at once, keeping the lock. */
  resumeAtOnce?(error: unknown): boolean;
  /** How often a standby instance tries to take the lock. */
  lockPollMs?: number;
  /** First delay after an error; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  logger?: Logger;
  /** Added to every log line. */
  logFields?: Record<string, unknown>;
  onError?(error: unknown): void;
}

/**
 * One active instance across processes: takes a session advisory lock and runs the work while
 * it holds it; other instances stand by and take over when the holder's session ends. On any
 * error it lets go of everything, waits (with backoff), re-takes the lock and runs again, so the
 * work must resume from state it stored (a checkpoint). Shared by the projectors and the SMS
 * inbox starter.
 */
export class LeaderLoop {
  private current: LeaderState = 'idle';
  private running: Promise<void> | undefined;
  private stopping = false;
  private attempt: AbortController | undefined;

  constructor(private readonly options: LeaderLoopOptions) {
    options.lock.onLost((error) => {
      this.options.logger?.warn({ ...options.logFields, err: error }, `${options.what} lock lost; stopping this run`);
      this.attempt?.abort(error);
    });
  }

  get state(): LeaderState {
    return this.current;
  }

  /** Starts in the background; returns at once (not once the lock is held). */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Aborts the work, waits for it to return and releases the lock. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.attempt?.abort(new Error(`${this.options.what} stopping`));
    await this.running;
    this.running = undefined;
  }

  private async loop(): Promise<void> {
    const { lock, logger: log, logFields, what } = this.options;
    const firstDelay = this.options.retryDelayMs ?? 1000;
    const maxDelay = this.options.maxRetryDelayMs ?? 30_000;
    let delay = firstDelay;
    while (!this.stopping) {
      const attempt = new AbortController();
      this.attempt = attempt;
      try {
        if (!(await lock.tryAcquire())) {
          if (this.current !== 'standby') log?.info(logFields, `another ${what} holds the lock; standing by`);
          this.current = 'standby';
          await sleep(this.options.lockPollMs ?? 2000, undefined, { signal: attempt.signal }).catch(() => {});
          continue;
        }
        this.current = 'running';
        await this.options.run(attempt.signal);
      } catch (error) {
        if (this.stopping) break;
        if (this.options.resumeAtOnce?.(error)) {
          log?.warn({ ...logFields, err: error }, `${what} starts over from its stored state`);
          continue;
        }
        this.current = 'retrying';
        this.options.onError?.(error);
        log?.error({ ...logFields, err: error, retryInMs: delay }, `${what} failed; retrying`);
        await lock.release();
        await sleep(delay, undefined, { signal: attempt.signal }).catch(() => {});
        delay = Math.min(delay * 2, maxDelay);
        continue;
      }
      delay = firstDelay;
    }
    await lock.release();
    this.current = 'stopped';
  }
}
