import type { EventMetadata } from '../domain/events/envelope.js';

/**
 * The event store port, modelled on KurrentDB's semantics (the stricter of our two stores).
 * Adapters: ./postgres (default) and ./kurrentdb.
 */

export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface NewEvent {
  /** Deterministic UUID (see domain/events/envelope.ts eventId): re-appending it is a no-op. */
  id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
}

export interface RecordedEvent {
  id: string;
  streamName: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  /** 0-based position of the event inside its stream. */
  revision: bigint;
  /** Opaque, ordered position in the global log; pass it back as a checkpoint. */
  position: Checkpoint;
  recordedAt: Date;
}

/** Opaque string; only the adapter that produced it can interpret it. */
export type Checkpoint = string;

export interface AppendResult {
  /**
   * Revision of the last event this append wrote (for an idempotent no-op, of the last of the
   * re-appended events, as KurrentDB reports it); -1 for an empty append to a missing stream.
   */
  nextExpectedRevision: bigint;
  /** Global position of the last appended event (absent when the append was an idempotent no-op). */
  position?: Checkpoint;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive revision to start from; defaults to the start (forwards) or the end (backwards). */
  fromRevision?: bigint;
  maxCount?: number;
}

export interface ReadAllOptions {
  direction?: 'forwards' | 'backwards';
  /** Exclusive: events after (forwards) or before (backwards) this checkpoint. */
  from?: Checkpoint;
  maxCount?: number;
  filter?: EventFilter;
}

export interface EventFilter {
  streamPrefixes?: string[];
  eventTypes?: string[];
}

export interface SubscribeOptions {
  /** Exclusive checkpoint; undefined starts at the beginning of the log. 'end' starts live. */
  from?: Checkpoint | 'start' | 'end';
  filter?: EventFilter;
  /** Aborting ends the iteration cleanly. */
  signal?: AbortSignal;
}

/** An async iterable of events that catches up, then follows live until closed. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
  /**
   * Where the subscription has got to: every event its filter matches up to this checkpoint has
   * been handed to the consumer (taken from the iterator), and the events between the last one
   * handed out and this checkpoint did not match. A consumer that has dealt with every event it
   * took may store it as its checkpoint, so a filter that matches rarely does not leave the
   * checkpoint far behind the log (and every lag reading scanning up from there). Undefined when
   * nothing was read yet, or when the store does not say (KurrentDB here).
   */
  deliveredTo?(): Checkpoint | undefined;
}

/**
 * A fold of one stream up to a revision, kept so that a reader need not fold the stream from its
 * start (activities/user-state-reader.ts). Only a cache: the events stay the truth, and a reader
 * that finds no snapshot, or one it cannot use, folds the stream itself.
 */
export interface StreamSnapshot {
  /** Names the fold and its encoding: a reader ignores any other version's snapshots. */
  version: string;
  /** The last event folded in. */
  revision: bigint;
  /** Id of the event at `revision`: a stream that holds another event there (a wiped log) voids the snapshot. */
  eventId: string;
  /** The encoded state. */
  state: string;
}

export interface SnapshotStore {
  read(stream: string, version: string): Promise<StreamSnapshot | undefined>;
  /** Keeps the newest per stream and version: one at a lower revision than the kept one changes nothing. */
  write(stream: string, snapshot: StreamSnapshot): Promise<void>;
}

export interface EventStore {
  readonly kind: 'postgres' | 'kurrentdb';
  /** Where folds of long streams are kept, if this store keeps them (PostgreSQL does; KurrentDB here does not). */
  readonly snapshots?: SnapshotStore;
  append(stream: string, events: NewEvent[], options?: { expectedRevision?: ExpectedRevision }): Promise<AppendResult>;
  /** Throws StreamNotFoundError when the stream has no events. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToAll(options?: SubscribeOptions): Subscription;
  /** The checkpoint of the newest event in the log (undefined for an empty log). */
  headCheckpoint(): Promise<Checkpoint | undefined>;
  close(): Promise<void>;
}

export class WrongExpectedVersionError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedVersionError';
  }
}

export class StreamNotFoundError extends Error {
  constructor(readonly stream: string) {
    super(`Stream ${stream} not found`);
    this.name = 'StreamNotFoundError';
  }
}

/** Same event id already in the log but not as an exact re-append at the same place. */
export class DuplicateEventError extends Error {
  constructor(
    readonly stream: string,
    readonly eventId: string,
  ) {
    super(`Event ${eventId} already exists elsewhere than this append of stream ${stream}`);
    this.name = 'DuplicateEventError';
  }
}

/**
 * The store could not take or serve the call in time: unreachable, connection lost, no pooled
 * connection free, or a timeout. Retrying later is safe (event ids are deterministic). An append
 * that timed out on the client side may still have committed; its retry is then a no-op.
 */
export class StoreUnavailableError extends Error {
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Event store unavailable (${operation}): ${(options?.cause as Error | undefined)?.message ?? 'no answer'}`,
      options,
    );
    this.name = 'StoreUnavailableError';
  }
}
