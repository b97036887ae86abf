import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  assertValidEvent,
  currentSchemaVersion,
  EVENT_TYPES,
  EventSchemaError,
  upcastEvent,
} from '../domain/events/catalogue.js';
import { EventMetadataSchema } from '../domain/events/envelope.js';
import type {
  AppendResult,
  Checkpoint,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from './port.js';

/** What the decorator needs from an event catalogue; the domain's by default, injectable for tests. */
export interface EventCatalogue {
  knows(type: string): boolean;
  /** Throws EventSchemaError unless the event is valid at the current schema version. */
  assertValid(event: NewEvent): void;
  /** Brings a stored event of a known type to the current schema, or throws EventSchemaError. */
  upcast(event: RecordedEvent): Pick<RecordedEvent, 'data' | 'metadata'>;
}

const checkMetadata = TypeCompiler.Compile(EventMetadataSchema);
const known = new Set<string>(EVENT_TYPES);

export const domainCatalogue: EventCatalogue = {
  knows: (type) => known.has(type),
  assertValid(event) {
    assertValidEvent(event.type, event.data);
    if (!checkMetadata.Check(event.metadata)) {
      const problems = [...checkMetadata.Errors(event.metadata)].slice(0, 5);
      throw new EventSchemaError(
        event.type,
        problems.map((e) => `metadata${e.path} ${e.message}`),
      );
    }
    const version = currentSchemaVersion(event.type);
    if (event.metadata.schemaVersion !== version) {
      throw new EventSchemaError(event.type, [`metadata.schemaVersion must be ${version} for new events`]);
    }
  },
  upcast: (event) => upcastEvent(event),
};

/**
 * An EventStore that only lets valid domain events in and hands out every known event at its
 * current schema (upcast, then validated). Events of types the catalogue does not know are
 * rejected on append and passed through untouched on read.
 */
export class ValidatingEventStore implements EventStore {
  readonly kind: EventStore['kind'];
  readonly snapshots: EventStore['snapshots'];

  constructor(
    readonly inner: EventStore,
    private readonly catalogue: EventCatalogue = domainCatalogue,
  ) {
    this.kind = inner.kind;
    // Snapshots hold states folded from upcast events: they pass through as they are.
    this.snapshots = inner.snapshots;
  }

  async append(
    stream: string,
    events: NewEvent[],
    options?: { expectedRevision?: ExpectedRevision },
  ): Promise<AppendResult> {
    for (const event of events) this.catalogue.assertValid(event);
    return this.inner.append(stream, events, options);
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return (await this.inner.readStream(stream, options)).map((e) => this.upcast(e));
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return (await this.inner.readAll(options)).map((e) => this.upcast(e));
  }

  subscribeToAll(options?: SubscribeOptions): Subscription {
    const inner = this.inner.subscribeToAll(options);
    const upcast = (e: RecordedEvent) => this.upcast(e);
    return {
      close: () => inner.close(),
      // The inner position moves only once this iterator's consumer has taken every event before it.
      deliveredTo: () => inner.deliveredTo?.(),
      async *[Symbol.asyncIterator]() {
        for await (const event of inner) yield upcast(event);
      },
    };
  }

  headCheckpoint(): Promise<Checkpoint | undefined> {
    return this.inner.headCheckpoint();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private upcast(event: RecordedEvent): RecordedEvent {
    if (!this.catalogue.knows(event.type)) return event;
    const { data, metadata } = this.catalogue.upcast(event);
    return { ...event, data, metadata };
  }
}
