/**
 * Reads an async iterable ahead into a bounded buffer, so the projector can take "whatever is
 * ready" as one batch: full batches while catching up, small ones (after a short linger) live.
 * Hand-written because the port's subscription is a plain async iterable and batching one
 * needs exactly this much code.
 */
export class EventBuffer<T> {
  private items: T[] = [];
  private error: unknown;
  private ended = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private space: (() => void) | undefined;

  constructor(
    source: AsyncIterable<T>,
    private readonly highWater: number,
  ) {
    void this.pump(source);
  }

  private async pump(source: AsyncIterable<T>): Promise<void> {
    try {
      for await (const item of source) {
        if (this.closed) break;
        this.items.push(item);
        this.signal();
        if (this.items.length >= this.highWater) await new Promise<void>((resolve) => (this.space = resolve));
        if (this.closed) break;
      }
    } catch (error) {
      this.error = error;
    } finally {
      this.ended = true;
      this.signal();
    }
  }

  private signal() {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private waitForItems(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(resolve, timeoutMs);
      this.wake = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * Up to `max` items: waits for the first (at most `waitMs` when given), then up to `lingerMs`
   * for more (unless `max` are already there). Returns [] once the source has ended and
   * everything was taken, on close, or when `waitMs` passed with nothing (see `finished`).
   * Rethrows the source's error after the items read before it.
   */
  async take(max: number, lingerMs: number, waitMs?: number): Promise<T[]> {
    const until = waitMs === undefined ? undefined : Date.now() + waitMs;
    while (this.items.length === 0) {
      if (this.error !== undefined) throw this.error;
      if (this.ended || this.closed) return [];
      if (until === undefined) await this.waitForItems();
      else {
        const left = until - Date.now();
        if (left <= 0) return [];
        await this.waitForItems(left);
      }
    }
    const deadline = Date.now() + lingerMs;
    while (this.items.length < max && !this.ended && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await this.waitForItems(left);
    }
    const batch = this.items.splice(0, max);
    if (this.items.length < this.highWater) {
      const space = this.space;
      this.space = undefined;
      space?.();
    }
    return batch;
  }

  /** The source ended or the buffer was closed: an empty take() will stay empty. */
  get finished(): boolean {
    return this.ended || this.closed;
  }

  /** Stops reading ahead and wakes a waiting take(). */
  close(): void {
    this.closed = true;
    this.signal();
    const space = this.space;
    this.space = undefined;
    space?.();
  }
}
