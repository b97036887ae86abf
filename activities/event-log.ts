import type { DomainEvent, DomainEventType, EventOfType } from '../domain/events/catalogue.js';
import { currentSchemaVersion } from '../domain/events/catalogue.js';
import { type EventMetadata, eventId } from '../domain/events/envelope.js';
import {
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  StreamNotFoundError,
} from '../eventstore/port.js';

export interface Draft<T extends DomainEventType = DomainEventType> {
  type: T;
  data: EventOfType<T>['data'];
  /** Names the step, so the event id is the same on every retry of it. */
  step: string;
}

export interface Causation {
  /** The workflow id (`sms-<MessageSid>`). */
  correlationId: string;
  causationId?: string;
  round: number;
  now: Date;
  /** Who asked, on events appended on behalf of a person (a human reply): the audit trail. */
  actor?: EventMetadata['actor'];
}

/** The events appendEvents writes for these drafts: deterministic ids, the same on every retry. */
export function newEvents(stream: string, drafts: Draft[], cause: Causation): NewEvent[] {
  return drafts.map((d) => ({
    id: eventId(cause.correlationId, `${stream}/${d.step}`, cause.round),
    type: d.type,
    data: d.data,
    metadata: {
      correlationId: cause.correlationId,
      causationId: cause.causationId,
      occurredAt: cause.now.toISOString(),
      schemaVersion: currentSchemaVersion(d.type),
      ...(cause.actor && { actor: cause.actor }),
    },
  }));
}

/** Appends drafts with deterministic ids: a retried activity re-appends the same ids, a no-op. */
export async function appendEvents(
  store: EventStore,
  stream: string,
  drafts: Draft[],
  cause: Causation,
  expectedRevision: ExpectedRevision = 'any',
) {
  return store.append(stream, newEvents(stream, drafts, cause), { expectedRevision });
}

/** A stream's events, or none when it does not exist yet; with the revision to append after. */
export async function readStreamOrEmpty(
  store: EventStore,
  stream: string,
): Promise<{ events: RecordedEvent[]; revision: ExpectedRevision }> {
  try {
    const events = await store.readStream(stream);
    const last = events.at(-1);
    return { events, revision: last ? last.revision : 'no_stream' };
  } catch (error) {
    if (error instanceof StreamNotFoundError) return { events: [], revision: 'no_stream' };
    throw error;
  }
}

export const asDomain = (e: Pick<RecordedEvent, 'type' | 'data' | 'metadata'>) =>
  ({ type: e.type, data: e.data, metadata: e.metadata }) as DomainEvent;

export function findLast<T extends DomainEventType>(events: RecordedEvent[], type: T): EventOfType<T> | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === type) return asDomain(e) as EventOfType<T>;
  }
  return undefined;
}
