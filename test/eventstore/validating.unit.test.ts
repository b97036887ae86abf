import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { EventSchemaError } from '../../domain/events/catalogue.js';
import type { AppendResult, EventStore, NewEvent, RecordedEvent, Subscription } from '../../eventstore/port.js';
import { type EventCatalogue, ValidatingEventStore } from '../../eventstore/validating.js';

/** Just enough of a store to hold events in memory: the decorator is what is under test. */
class MemoryStore implements EventStore {
  readonly kind = 'postgres' as const;
  readonly events: RecordedEvent[] = [];
  async append(stream: string, events: NewEvent[]): Promise<AppendResult> {
    for (const e of events) {
      const revision = BigInt(this.events.filter((x) => x.streamName === stream).length);
      this.events.push({
        ...e,
        streamName: stream,
        revision,
        position: String(this.events.length),
        recordedAt: new Date(),
      });
    }
    return { nextExpectedRevision: BigInt(this.events.filter((x) => x.streamName === stream).length - 1) };
  }
  async readStream(stream: string) {
    return this.events.filter((e) => e.streamName === stream);
  }
  async readAll() {
    return [...this.events];
  }
  subscribeToAll(): Subscription {
    const events = this.events;
    return {
      close: async () => {},
      async *[Symbol.asyncIterator]() {
        yield* events;
      },
    };
  }
  async headCheckpoint() {
    return this.events.at(-1)?.position;
  }
  async close() {}
}

const metadata = (schemaVersion = 1) => ({
  correlationId: 'sms-SM1',
  occurredAt: '2026-01-01T00:00:00Z',
  schemaVersion,
});

const smsReceived = (data: Record<string, unknown> = {}): NewEvent => ({
  id: randomUUID(),
  type: 'SmsReceived',
  data: {
    messageSid: 'SM1',
    from: '+15555550100',
    to: '+15555550199',
    body: 'hello',
    numMedia: 0,
    provider: 'simulator',
    receivedAt: '2026-01-01T00:00:00Z',
    ...data,
  },
  metadata: metadata(),
});

describe('validating event store (domain catalogue)', () => {
  it('given a valid domain event, when appended, then it is stored', async () => {
    const inner = new MemoryStore();
    await new ValidatingEventStore(inner).append('sms-SM1', [smsReceived()]);
    expect(inner.events).toHaveLength(1);
  });

  it('given an event whose data breaks its schema, when appended, then EventSchemaError and nothing stored', async () => {
    const inner = new MemoryStore();
    const store = new ValidatingEventStore(inner);
    const error = await store.append('sms-SM1', [smsReceived(), smsReceived({ from: '' })]).catch((e) => e);
    expect(error).toBeInstanceOf(EventSchemaError);
    expect((error as EventSchemaError).problems.join()).toMatch(/from/);
    expect(inner.events).toHaveLength(0);
  });

  it('given an unknown event type or a wrong schemaVersion, when appended, then EventSchemaError', async () => {
    const store = new ValidatingEventStore(new MemoryStore());
    await expect(store.append('sms-SM1', [{ ...smsReceived(), type: 'Nonsense' }])).rejects.toBeInstanceOf(
      EventSchemaError,
    );
    await expect(store.append('sms-SM1', [{ ...smsReceived(), metadata: metadata(7) }])).rejects.toBeInstanceOf(
      EventSchemaError,
    );
  });

  it('given a stored domain event that no longer matches its schema, when read, then EventSchemaError', async () => {
    const inner = new MemoryStore();
    await inner.append('sms-SM1', [smsReceived({ numMedia: -1 })]);
    await expect(new ValidatingEventStore(inner).readStream('sms-SM1')).rejects.toBeInstanceOf(EventSchemaError);
  });

  it('given a stored event of a type the catalogue does not know, when read, then it passes through unchanged', async () => {
    const inner = new MemoryStore();
    await inner.append('other-1', [{ ...smsReceived(), type: 'SomethingElse', data: { x: 1 } }]);
    const [event] = await new ValidatingEventStore(inner).readAll();
    expect(event?.data).toEqual({ x: 1 });
  });
});

describe('validating event store (upcasting on read)', () => {
  // A catalogue where Greeted is at version 2: v1 had `name`, v2 splits it into first and last.
  const v2 = TypeCompiler.Compile(Type.Object({ first: Type.String(), last: Type.String() }));
  const catalogue: EventCatalogue = {
    knows: (type) => type === 'Greeted',
    assertValid(event) {
      if (event.metadata.schemaVersion !== 2 || !v2.Check(event.data)) throw new EventSchemaError(event.type, ['bad']);
    },
    upcast(event) {
      let data = event.data as Record<string, unknown>;
      if (event.metadata.schemaVersion === 1) {
        const [first = '', last = ''] = String(data.name).split(' ');
        data = { first, last };
      }
      if (!v2.Check(data)) throw new EventSchemaError(event.type, ['bad']);
      return { data, metadata: { ...event.metadata, schemaVersion: 2 } };
    },
  };

  it('given a version 1 event in the store, when read, then it arrives upcast to version 2', async () => {
    const inner = new MemoryStore();
    await inner.append('greeting-1', [
      { id: randomUUID(), type: 'Greeted', data: { name: 'Ada Lovelace' }, metadata: metadata(1) },
    ]);
    const store = new ValidatingEventStore(inner, catalogue);
    const [fromStream] = await store.readStream('greeting-1');
    expect(fromStream?.data).toEqual({ first: 'Ada', last: 'Lovelace' });
    expect(fromStream?.metadata.schemaVersion).toBe(2);
    const subscribed: RecordedEvent[] = [];
    for await (const event of store.subscribeToAll()) subscribed.push(event);
    expect(subscribed[0]?.data).toEqual({ first: 'Ada', last: 'Lovelace' });
  });

  it('given a version 1 event, when appended, then it is rejected: new events are written at the current version', async () => {
    const store = new ValidatingEventStore(new MemoryStore(), catalogue);
    const old = { id: randomUUID(), type: 'Greeted', data: { name: 'Ada Lovelace' }, metadata: metadata(1) };
    await expect(store.append('greeting-1', [old])).rejects.toBeInstanceOf(EventSchemaError);
  });
});
