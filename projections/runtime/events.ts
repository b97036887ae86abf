import { currentSchemaVersion, upcastEvent } from '../../domain/events/catalogue.js';
import type { EventFilter, RecordedEvent } from '../../eventstore/port.js';
import type { ProjectionEvent, ReadModel } from './types.js';

/**
 * Brings a stored event to the current schema and keeps where it sits in the log. Events already
 * at the current version were validated when appended (and usually again by the store's reader),
 * so only older ones go through the upcasters and validation: catch-up spends its time on SQL.
 */
export function toProjectionEvent(recorded: RecordedEvent): ProjectionEvent {
  const current = recorded.metadata.schemaVersion === currentSchemaVersion(recorded.type);
  const event = current ? recorded : upcastEvent(recorded);
  return {
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    id: recorded.id,
    streamName: recorded.streamName,
    revision: Number(recorded.revision),
    position: recorded.position,
    recordedAt: recorded.recordedAt,
  } as ProjectionEvent;
}

/** The store-side filter: a projection reads only the event types it handles. */
export const filterFor = (model: ReadModel): EventFilter => ({ eventTypes: [...model.handles] });
