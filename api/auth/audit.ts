import type { DomainEventType, EventOfType } from '../../domain/events/catalogue.js';
import { eventId } from '../../domain/events/envelope.js';
import type { EventStore, ExpectedRevision } from '../../eventstore/port.js';
import { type ActionContext, appendAction } from '../actions/append-action.js';

/** Who made a change, when, and under which request (the request id, or the CLI run's id). */
export type ChangeContext = ActionContext;

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
  await appendAction(store, stream, { id: eventId(stream, step), type, data }, context, expectedRevision);
}
