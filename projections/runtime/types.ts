import type { DomainEvent, DomainEventType } from '../../domain/events/catalogue.js';
import type { Checkpoint } from '../../eventstore/port.js';
import type { Queryable } from '../shared/sql.js';
import type { ChangedKeys } from './change-notices.js';

/**
 * The transaction a handler runs in. `query` runs now (for reads); `defer` queues a write that
 * needs no result: queued writes run in order with the checkpoint update, in the same round trip
 * as COMMIT, so a batch costs a few round trips whatever the handler writes.
 */
export interface ProjectionTx extends Queryable {
  /** Parameters are bound: null as NULL, strings as they are, anything else as its JSON text. */
  defer(text: string, values?: unknown[]): void;
  /**
   * Announces changed rows (ids only) with pg_notify after the batch's writes, in its transaction:
   * listeners hear of them only once the batch commits. A rebuild's replay announces nothing.
   */
  announce(changed: ChangedKeys): void;
}

/** Where an event sits in the log, carried next to the (upcast) domain event. */
export interface EventContext {
  id: string;
  streamName: string;
  /** 0-based revision inside its stream (a number: streams never get near 2^53 events). */
  revision: number;
  position: Checkpoint;
  recordedAt: Date;
}

/** A domain event as a projection handler sees it; narrow it with a `switch` on `type`. */
export type ProjectionEvent<T extends DomainEventType = DomainEventType> = Extract<DomainEvent, { type: T }> &
  EventContext;

/**
 * A read model: a projection with its own checkpoint, fed only the event types it lists.
 * `apply` runs inside the projector's transaction and must be safe to replay: applying a batch
 * it has already applied changes nothing. It reads and writes only its own tables, so its rows
 * never depend on how far other projections have got or on where batches start and end.
 */
export interface ReadModel<T extends DomainEventType = DomainEventType> {
  /** The projection's name: its checkpoint row and `sms-agent projections rebuild <name>`. */
  readonly name: string;
  readonly handles: readonly T[];
  /** Its tables, in a stable order (rebuild copies them; tests compare them). */
  readonly tables: readonly string[];
  apply(tx: ProjectionTx, events: readonly ProjectionEvent<T>[]): Promise<void>;
}

export function assertNever(value: never): never {
  throw new Error(`Unhandled event: ${JSON.stringify(value)}`);
}

/**
 * Types a read model against the events it lists, then erases that parameter so models of
 * different events fit one list (the runtime only ever hands a model the types it lists).
 */
export const defineReadModel = <T extends DomainEventType>(model: ReadModel<T>): ReadModel =>
  model as unknown as ReadModel;
