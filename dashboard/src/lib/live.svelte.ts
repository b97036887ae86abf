import type { paths } from './api/schema.js';
import type { FailureFrame } from './failures/queue.js';

/** A task as GET /api/tasks lists it: the data of an `event: task` frame. */
export type LiveTask = paths['/api/tasks']['get']['responses'][200]['content']['application/json']['items'][number];
type Listener = { task?: (task: LiveTask) => void; failure?: (frame: FailureFrame) => void; reset?: () => void };

/**
 * One EventSource on GET /api/stream (live changes of the read models) shared by every page,
 * opened while someone listens. `connected` turns true at the server's `ready` frame; the browser
 * reconnects by itself after a drop, and listeners get `reset` to reload what they show (also at
 * the first `ready`: a change between a page's load and its subscription sent it no frame).
 */
class LiveStream {
  connected = $state(false);
  private source: EventSource | undefined;
  private listeners = new Set<Listener>();

  /** Listens until the returned function is called. */
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
      const reconnected = this.connected === false;
      this.connected = true;
      if (reconnected) for (const l of this.listeners) l.reset?.();
    });
    source.addEventListener('task', (event) => {
      const task = JSON.parse((event as MessageEvent<string>).data) as LiveTask;
      for (const l of this.listeners) l.task?.(task);
    });
    source.addEventListener('failure', (event) => {
      const frame = JSON.parse((event as MessageEvent<string>).data) as FailureFrame;
      for (const l of this.listeners) l.failure?.(frame);
    });
    source.addEventListener('reset', () => {
      for (const l of this.listeners) l.reset?.();
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

export const live = new LiveStream();
