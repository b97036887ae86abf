import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { EventFilter, RecordedEvent } from '../port.js';
import { decodeCheckpoint, encodeCheckpoint, type LogPosition } from './checkpoint.js';
import { type EventRow, toRecordedEvent } from './rows.js';
import type { StoreNames } from './schema.js';
import { type FilterShape, heldBackSql, pollAllSql, pollSql } from './statements.js';

/** What one subscription poll found. */
export interface Poll {
  events: RecordedEvent[];
  /** The scan window was full: more events may follow at once. */
  full: boolean;
  /** Committed events wait above the horizon for an older transaction to end. */
  heldBack: boolean;
  /** Where the scan ended (undefined when it found nothing). */
  cursor: LogPosition | undefined;
}

interface PollRow extends EventRow {
  scanned_to: string | null;
  scanned: number;
  held_back: boolean;
}

interface Waiter {
  filter: EventFilter | undefined;
  resolve(poll: Poll): void;
  reject(error: unknown): void;
}

/**
 * The polls of one store's subscriptions. Subscriptions woken together (one NOTIFY wakes every
 * subscription of the process) ask in the same turn of the event loop, mostly from the same
 * cursor, since each live poll ends at the log's head. Requests made in one turn are grouped by
 * cursor: a lone request runs its own filtered poll, a group runs one unfiltered poll and each
 * member keeps what its filter matches. The projector's seven projections then cost PostgreSQL
 * one poll per wake-up instead of seven, and each event is decoded once. Written here because a
 * poll that must respect the visibility horizon is this adapter's own (no library does it).
 */
export class SubscriptionPolls {
  private pending = new Map<string, { cursor: LogPosition; waiters: Waiter[] }>();
  private scheduled = false;
  /** performance.now() of the last flush; -Infinity before the first. */
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  /** Polls sent to PostgreSQL and subscription polls answered, for tests and diagnostics. */
  readonly counts = { queries: 0, answered: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly names: StoreNames,
    private readonly batchSize: number,
    /**
     * Least time between two rounds of polls. Each append wakes every subscription (its own
     * process at once, the others by NOTIFY, and an in-transaction NOTIFY echoes back), so under
     * load wake-ups come faster than polls are worth: at 200 SMS/s the API's inbox starter polled
     * 1.7 times and the projector 0.9 times per SMS. A poll made within this time of the last
     * round waits for the rest of it, and finds whatever was appended meanwhile in one query; an
     * idle store polls at once.
     */
    private readonly minIntervalMs: number,
  ) {}

  /** The next events after `cursor` that `filter` matches, below the horizon. */
  next(cursor: LogPosition, filter: EventFilter | undefined): Promise<Poll> {
    return new Promise<Poll>((resolve, reject) => {
      const key = encodeCheckpoint(cursor);
      const group = this.pending.get(key) ?? { cursor, waiters: [] };
      group.waiters.push({ filter, resolve, reject });
      this.pending.set(key, group);
      if (!this.scheduled) {
        this.scheduled = true;
        // After the microtasks of this turn: every subscription woken by the same callback has asked by then.
        const wait = this.lastFlushAt + this.minIntervalMs - performance.now();
        if (wait > 0) setTimeout(() => this.flush(), wait);
        else setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    this.lastFlushAt = performance.now();
    const groups = [...this.pending.values()];
    this.pending.clear();
    for (const { cursor, waiters } of groups) {
      const only = waiters.length === 1 ? waiters[0] : undefined;
      const answer = only ? this.pollOne(cursor, only.filter).then((p) => [p]) : this.pollShared(cursor, waiters);
      answer.then(
        (polls) => {
          this.counts.answered += waiters.length;
          for (const [i, w] of waiters.entries()) w.resolve(polls[i] as Poll);
        },
        (error) => {
          for (const w of waiters) w.reject(error);
        },
      );
    }
  }

  private pollOne(cursor: LogPosition, filter: EventFilter | undefined): Promise<Poll> {
    const shape = shapeOf(filter);
    return shape.prefixes || shape.types ? this.scan(cursor, filter, shape) : this.pollAll(cursor);
  }

  /** One scan for the whole group; each member gets the scan's events its filter matches. */
  private async pollShared(cursor: LogPosition, waiters: Waiter[]): Promise<Poll[]> {
    const scan = await this.scan(cursor, undefined, { prefixes: false, types: false });
    return waiters.map((w) => {
      const match = matcher(w.filter);
      return { ...scan, events: match ? scan.events.filter(match) : scan.events };
    });
  }

  private async pollAll(cursor: LogPosition): Promise<Poll> {
    this.counts.queries++;
    const { rows } = await this.pool.query<EventRow & { held_back: boolean }>({
      name: `es:${this.names.schema}:poll-all`,
      text: pollAllSql(this.names),
      values: [cursor.transactionId, cursor.position, this.batchSize],
    });
    const last = rows.at(-1);
    if (!last) {
      const held = await this.pool.query<{ held_back: boolean }>({
        name: `es:${this.names.schema}:held-back`,
        text: heldBackSql(this.names),
      });
      return { events: [], full: false, heldBack: held.rows[0]?.held_back ?? false, cursor: undefined };
    }
    return {
      events: rows.map(toRecordedEvent),
      full: rows.length >= this.batchSize,
      heldBack: last.held_back,
      cursor: { transactionId: last.transaction_id, position: last.position },
    };
  }

  /**
   * Scans the next batchSize events below the horizon and returns those the filter matches (all,
   * with an empty shape), where the scan ended, and whether events wait above the horizon.
   */
  private async scan(cursor: LogPosition, filter: EventFilter | undefined, shape: FilterShape): Promise<Poll> {
    this.counts.queries++;
    const values: unknown[] = [cursor.transactionId, cursor.position, this.batchSize];
    if (shape.prefixes) values.push(filter?.streamPrefixes?.map(likePrefix));
    if (shape.types) values.push(filter?.eventTypes);
    const { rows } = await this.pool.query<PollRow>({
      name: `es:${this.names.schema}:poll:${shape.prefixes ? 'p' : ''}${shape.types ? 't' : ''}`,
      text: pollSql(this.names, shape),
      values,
    });
    const first = rows[0] as PollRow;
    const events = first.event_id === null ? [] : rows.map(toRecordedEvent);
    // The cursor moves past everything scanned, matched or not: a narrow filter never rescans.
    const scannedTo = first.scanned_to ? decodeCheckpoint(first.scanned_to) : undefined;
    return { events, full: first.scanned >= this.batchSize, heldBack: first.held_back, cursor: scannedTo };
  }
}

function shapeOf(filter: EventFilter | undefined): FilterShape {
  return { prefixes: (filter?.streamPrefixes?.length ?? 0) > 0, types: (filter?.eventTypes?.length ?? 0) > 0 };
}

/** The filter as a predicate, the same test as the SQL's `LIKE ANY` and `= ANY`; undefined matches all. */
function matcher(filter: EventFilter | undefined): ((event: RecordedEvent) => boolean) | undefined {
  const shape = shapeOf(filter);
  if (!shape.prefixes && !shape.types) return undefined;
  const prefixes = shape.prefixes ? (filter?.streamPrefixes as string[]) : undefined;
  const types = shape.types ? new Set(filter?.eventTypes) : undefined;
  return (event) =>
    (!prefixes || prefixes.some((p) => event.streamName.startsWith(p))) && (!types || types.has(event.type));
}

/** A LIKE pattern matching names that start with `prefix`. */
export const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
