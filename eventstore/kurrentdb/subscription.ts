import type * as Kurrent from '@kurrent/kurrentdb-client';
import type { Logger } from '../../infra/logger.js';
import type { EventFilter, RecordedEvent, SubscribeOptions, Subscription } from '../port.js';
import { decodePosition, samePosition } from './position.js';
import type { KurrentEvent, KurrentSdk } from './store.js';

export interface KurrentSubscriptionDeps {
  connect: () => Promise<{ sdk: KurrentSdk; client: Kurrent.KurrentDBClient }>;
  options: SubscribeOptions;
  serverFilter: (sdk: KurrentSdk, filter: EventFilter | undefined) => Kurrent.Filter;
  accept: (event: KurrentEvent) => boolean;
  toRecordedEvent: (event: KurrentEvent) => RecordedEvent;
  logger?: Logger;
  onClose: (subscription: KurrentSubscription) => void;
}

const RETRYABLE = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'not-leader', 'unknown']);

/**
 * A catch-up subscription to $all that resubscribes from its last position when the connection
 * drops (server restart, leader change), so the caller sees one uninterrupted sequence.
 */
export class KurrentSubscription implements Subscription {
  private readonly stop = new AbortController();
  private current: Kurrent.AllStreamSubscription | undefined;
  private started = false;

  constructor(private readonly deps: KurrentSubscriptionDeps) {
    const signal = deps.options.signal;
    if (signal?.aborted) this.stop.abort();
    else signal?.addEventListener('abort', () => void this.close(), { once: true, signal: this.stop.signal });
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.started) throw new Error('A subscription can be iterated only once');
    this.started = true;
    return this.run();
  }

  async close(): Promise<void> {
    if (this.stop.signal.aborted) return;
    this.stop.abort();
    this.deps.onClose(this);
    await this.current?.unsubscribe().catch(() => {});
  }

  private async *run(): AsyncGenerator<RecordedEvent> {
    const { sdk, client } = await this.deps.connect();
    const { from, filter } = this.deps.options;
    let position: Kurrent.ReadPosition =
      from === undefined || from === 'start' ? sdk.START : from === 'end' ? sdk.END : decodePosition(from);
    let failures = 0;
    try {
      while (!this.stop.signal.aborted) {
        const subscription = client.subscribeToAll({
          fromPosition: position,
          filter: this.deps.serverFilter(sdk, filter),
        });
        this.current = subscription;
        try {
          for await (const resolved of subscription) {
            if (this.stop.signal.aborted) return;
            const event = resolved.event;
            if (!event?.position) continue;
            const seen = typeof position === 'object' && samePosition(event.position, position);
            position = event.position;
            failures = 0;
            if (seen || !this.deps.accept(event)) continue;
            yield this.deps.toRecordedEvent(event);
          }
          if (this.stop.signal.aborted) return;
        } catch (error) {
          if (this.stop.signal.aborted) return;
          const type = (error as { type?: unknown }).type;
          if (typeof type !== 'string' || !RETRYABLE.has(type)) throw error;
          this.deps.logger?.warn({ err: error }, 'KurrentDB subscription dropped; resubscribing');
        } finally {
          await subscription.unsubscribe().catch(() => {});
        }
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** failures++, 5_000)));
      }
    } finally {
      await this.close();
    }
  }
}
