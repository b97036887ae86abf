import { createEvent, type DomainEventType, type EventOfType } from '../../domain/events/catalogue.js';
import { eventId } from '../../domain/events/envelope.js';
import type { EventStore, ExpectedRevision } from '../../eventstore/port.js';
import type { Actor } from '../plugins/admin-auth.js';

/** Who made a change, when, and under which request: stamped on the event that records it. */
export interface ChangeContext {
  actor: Actor;
  /** The request id, or the CLI run's id. */
  correlationId: string;
  now: Date;
  reason?: string;
}

/** Appends one admin event with its actor; its id is fixed by stream and step, so a retry appends nothing new. */
export async function recordChange<T extends DomainEventType>(
  store: EventStore,
  stream: string,
  step: string,
  type: T,
  data: EventOfType<T>['data'],
  context: ChangeContext,
  expectedRevision: ExpectedRevision = 'any',
): Promise<void> {
  const event = createEvent(type, data, {
    correlationId: context.correlationId,
    occurredAt: context.now.toISOString(),
    actor: { ...context.actor },
    ...(context.reason ? { reason: context.reason } : {}),
  });
  await store.append(stream, [{ id: eventId(stream, step), ...event }], { expectedRevision });
}
