import { api, call } from '$lib/api/client';
import type { paths } from '$lib/api/schema';

export type BroadcastList = paths['/api/broadcasts']['get']['responses'][200]['content']['application/json'];
export type Broadcast = BroadcastList['items'][number];

const sending = (list: BroadcastList) => list.items.some((b) => b.state === 'sending');

/**
 * The broadcasts list while any is sending: polled every second (one GET of the newest 50), from
 * a send made here until the read model lists it and it has finished.
 */
export class BroadcastWatch {
  list = $state<BroadcastList | null>(null);
  pendingId = $state<string | null>(null);
  error = $state<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;

  seed(list: BroadcastList) {
    this.list = list;
    if (this.pendingId || sending(list)) this.#schedule();
  }

  /** A broadcast just started here: follow it until it shows up and finishes. */
  follow(id: string) {
    this.pendingId = id;
    this.#schedule(0);
  }

  async cancel(id: string, reason: string) {
    await call('Cancelling the broadcast', () =>
      api.POST('/api/broadcasts/{id}/cancel', { params: { path: { id } }, body: reason ? { reason } : {} }),
    );
    this.#schedule(0);
  }

  stop() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms = 1000) {
    this.stop();
    this.#timer = setTimeout(() => void this.#poll(), ms);
  }

  async #poll() {
    try {
      const list = await call('Reading the broadcasts', () =>
        api.GET('/api/broadcasts', { params: { query: { limit: 50 } } }),
      );
      this.list = list;
      this.error = null;
      const mine = list.items.find((b) => b.id === this.pendingId);
      if (mine && mine.state !== 'sending') this.pendingId = null;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
    if (this.pendingId || (this.list && sending(this.list))) this.#schedule();
    else this.#timer = undefined;
  }
}
