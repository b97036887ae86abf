import type { EventFilter, EventStore } from '../../eventstore/port.js';

export interface Lag {
  /** Events this projection handles that are in the log after its checkpoint (at most `cap`). */
  events: number;
  /** True when there are at least `cap` such events (the count stopped there). */
  capped: boolean;
  /** Age of the oldest unprocessed event; 0 when caught up. */
  seconds: number;
}

/**
 * The port's checkpoints are opaque, so the distance to the head is counted by reading: nothing
 * when the checkpoint is the head, else up to `cap` events (the store filters by type).
 */
export async function measureLag(
  store: EventStore,
  checkpoint: string | null,
  filter: EventFilter,
  options: { cap?: number; now?: () => number } = {},
): Promise<Lag> {
  const cap = options.cap ?? 10_000;
  const now = options.now ?? Date.now;
  const head = await store.headCheckpoint();
  if (head === undefined || head === checkpoint) return { events: 0, capped: false, seconds: 0 };
  const pending = await store.readAll({ from: checkpoint ?? undefined, filter, maxCount: cap });
  const oldest = pending[0];
  return {
    events: pending.length,
    capped: pending.length >= cap,
    seconds: oldest ? Math.max(0, (now() - oldest.recordedAt.getTime()) / 1000) : 0,
  };
}
