import type * as Kurrent from '@kurrent/kurrentdb-client';
import type { EventMetadata } from '../../domain/events/envelope.js';
import type { Logger } from '../../infra/logger.js';
import {
  type AppendResult,
  type Checkpoint,
  type EventFilter,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  StreamNotFoundError,
  type SubscribeOptions,
  type Subscription,
  WrongExpectedVersionError,
} from '../port.js';
import { decodePosition, encodePosition, samePosition } from './position.js';
import { KurrentSubscription } from './subscription.js';

export type KurrentSdk = typeof Kurrent;
export type KurrentEvent = Kurrent.AllStreamRecordedEvent | Kurrent.RecordedEvent;

/**
 * Adapter over `@kurrent/kurrentdb-client`. The client (gRPC plus a native bridge) is imported on
 * first use, so deployments on PostgreSQL never load it.
 */
export class KurrentDbEventStore implements EventStore {
  readonly kind = 'kurrentdb' as const;
  private connection: Promise<{ sdk: KurrentSdk; client: Kurrent.KurrentDBClient }> | undefined;
  private readonly subscriptions = new Set<KurrentSubscription>();

  constructor(private readonly options: { url: string; logger?: Logger }) {}

  /** `esdb://` and `kdb://` URLs are accepted as the client accepts them. */
  private connect() {
    this.connection ??= import('@kurrent/kurrentdb-client').then((sdk) => ({
      sdk,
      client: sdk.KurrentDBClient.connectionString(this.options.url),
    }));
    return this.connection;
  }

  /** Nothing to create: KurrentDB needs no schema. */
  async migrate(): Promise<void> {}

  async append(
    stream: string,
    events: NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const { sdk, client } = await this.connect();
    const expected = options.expectedRevision ?? 'any';
    try {
      const result = await client.appendToStream(
        stream,
        events.map((e) =>
          sdk.jsonEvent({
            id: e.id,
            type: e.type,
            data: e.data as Kurrent.JSONType,
            metadata: e.metadata as unknown as Kurrent.JSONType,
          }),
        ),
        { streamState: expected },
      );
      return {
        nextExpectedRevision: result.nextExpectedRevision,
        position: result.position ? encodePosition(result.position) : undefined,
      };
    } catch (error) {
      throw mapError(error, stream, expected);
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const { sdk, client } = await this.connect();
    const direction = options.direction ?? 'forwards';
    const out: RecordedEvent[] = [];
    try {
      for await (const resolved of client.readStream(stream, {
        direction: direction === 'forwards' ? sdk.FORWARDS : sdk.BACKWARDS,
        fromRevision: options.fromRevision ?? (direction === 'forwards' ? sdk.START : sdk.END),
        ...(options.maxCount !== undefined && { maxCount: options.maxCount }),
      })) {
        if (resolved.event) out.push(toRecordedEvent(resolved.event, resolved.commitPosition));
      }
    } catch (error) {
      throw mapError(error, stream, 'any');
    }
    return out;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const { sdk, client } = await this.connect();
    const from = options.from ? decodePosition(options.from) : undefined;
    const direction = options.direction ?? 'forwards';
    const max = options.maxCount ?? Number.POSITIVE_INFINITY;
    const accept = acceptor(options.filter);
    const out: RecordedEvent[] = [];
    if (max <= 0) return out;
    const read = client.readAll({
      direction: direction === 'forwards' ? sdk.FORWARDS : sdk.BACKWARDS,
      fromPosition: from ?? (direction === 'forwards' ? sdk.START : sdk.END),
      filter: serverFilter(sdk, options.filter),
    });
    for await (const resolved of read) {
      const event = resolved.event;
      // `from` is exclusive in the port; the server includes the event at that position.
      if (!event || (from && samePosition(event.position, from)) || !accept(event)) continue;
      out.push(toRecordedEvent(event));
      if (out.length >= max) break;
    }
    return out;
  }

  async headCheckpoint(): Promise<Checkpoint | undefined> {
    const [last] = await this.readAll({ direction: 'backwards', maxCount: 1 });
    return last?.position;
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    const subscription = new KurrentSubscription({
      connect: () => this.connect(),
      options,
      serverFilter,
      accept: acceptor(options.filter),
      toRecordedEvent,
      logger: this.options.logger,
      onClose: (s) => this.subscriptions.delete(s),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await (await connection).client.dispose();
  }
}

/**
 * KurrentDB filters on one dimension server-side: stream prefixes when given, else exact event
 * types as a regex, else just "no system events". The other dimension is checked by `acceptor`.
 */
function serverFilter(sdk: KurrentSdk, filter: EventFilter | undefined): Kurrent.Filter {
  if (filter?.streamPrefixes?.length) return sdk.streamNameFilter({ prefixes: filter.streamPrefixes });
  if (filter?.eventTypes?.length) {
    const alternatives = filter.eventTypes.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    return sdk.eventTypeFilter({ regex: `^(?:${alternatives})$` });
  }
  return sdk.excludeSystemEvents();
}

function acceptor(filter: EventFilter | undefined): (event: KurrentEvent) => boolean {
  const prefixes = filter?.streamPrefixes ?? [];
  const types = new Set(filter?.eventTypes ?? []);
  return (event) =>
    !event.type.startsWith('$') &&
    !event.streamId.startsWith('$') &&
    (prefixes.length === 0 || prefixes.some((p) => event.streamId.startsWith(p))) &&
    (types.size === 0 || types.has(event.type));
}

/** Stream reads may come without the event's log position; the commit position stands in then. */
function toRecordedEvent(event: KurrentEvent, commitPosition?: bigint): RecordedEvent {
  const position =
    event.position ?? (commitPosition !== undefined ? { commit: commitPosition, prepare: commitPosition } : undefined);
  return {
    id: event.id,
    streamName: event.streamId,
    type: event.type,
    data: event.isJson ? event.data : parseJson(event.data as Uint8Array),
    metadata: (event.metadata instanceof Uint8Array ? parseJson(event.metadata) : event.metadata) as EventMetadata,
    revision: event.revision,
    position: position ? encodePosition(position) : '',
    recordedAt: event.created,
  };
}

function parseJson(bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return text;
  }
}

/** The client's typed errors to the port's; anything else passes through. */
function mapError(error: unknown, stream: string, expected: ExpectedRevision): unknown {
  const type = (error as { type?: unknown })?.type;
  if (type === 'wrong-expected-version') {
    const actual = (error as { actualState?: bigint | 'no_stream' }).actualState ?? 'no_stream';
    return new WrongExpectedVersionError(stream, expected, actual);
  }
  if (type === 'stream-not-found') return new StreamNotFoundError(stream);
  return error;
}
