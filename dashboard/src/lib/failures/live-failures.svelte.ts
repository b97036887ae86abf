import type { FailureFrame } from './queue.js';

type Listener = { failure: (frame: FailureFrame) => void; reset: () => void };

/**
 * `event: failure` frames of GET /api/stream for the Failures page. Its own EventSource, opened
 * while the page listens: $lib/live.svelte.ts (the Tasks page's) follows `task` frames only.
 * `reset` fires after a server reset frame and at every `ready`: a change between the page's load
 * and the subscription, or during a reconnect, sent no frame to this page.
 */
class LiveFailures {
  connected = $state(false);
  private source: EventSource | undefined;
  private listeners = new Set<Listener>();

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    this.open();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  private open() {
    if (this.source || typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/stream');
    this.source = source;
    source.addEventListener('ready', () => {
      this.connected = true;
      for (const l of this.listeners) l.reset();
    });
    source.addEventListener('failure', (event) => {
      const frame = JSON.parse((event as MessageEvent<string>).data) as FailureFrame;
      for (const l of this.listeners) l.failure(frame);
    });
    source.addEventListener('reset', () => {
      for (const l of this.listeners) l.reset();
    });
    source.addEventListener('error', () => {
      this.connected = false;
    });
  }

  private close() {
    this.source?.close();
    this.source = undefined;
    this.connected = false;
  }
}

export const liveFailures = new LiveFailures();
