import { SvelteSet } from 'svelte/reactivity';
import { api, call } from '../api/client.js';
import { appendPage, applyFrame, type Failure, type FailureFrame, keepListed } from './queue.js';

export const PAGE_SIZE = 100;
type Page = { items: Failure[]; nextCursor: string | null };

/**
 * The Failures page's list: the loaded pages, kept current by live frames, and the selection.
 * Frames that arrive before the first page are held and applied after it.
 */
export class FailureQueue {
  items = $state<Failure[]>([]);
  nextCursor = $state<string | null>(null);
  loaded = $state(false);
  selected = new SvelteSet<string>();
  /** A quiet reload or a further page that failed: says what failed. */
  problem = $state<string | null>(null);
  private held: FailureFrame[] = [];

  show(page: Page) {
    this.items = page.items;
    this.nextCursor = page.nextCursor;
    this.loaded = true;
    for (const frame of this.held.splice(0)) this.items = applyFrame(this.items, frame);
    this.prune();
  }

  apply(frame: FailureFrame) {
    if (!this.loaded) {
      this.held.push(frame);
      return;
    }
    this.items = applyFrame(this.items, frame);
    this.prune();
  }

  /** Reads the first page again without a loading state (after a reconnect or a reset frame). */
  async reload() {
    try {
      this.show(await readFailures());
      this.problem = null;
    } catch (error) {
      this.problem = error instanceof Error ? error.message : String(error);
    }
  }

  async more() {
    if (!this.nextCursor) return;
    try {
      const page = await readFailures(this.nextCursor);
      this.items = appendPage(this.items, page.items);
      this.nextCursor = page.nextCursor;
      this.problem = null;
    } catch (error) {
      this.problem = error instanceof Error ? error.message : String(error);
    }
  }

  toggle(sid: string, on: boolean) {
    if (on) this.selected.add(sid);
    else this.selected.delete(sid);
  }

  selectAll(on: boolean) {
    this.selected.clear();
    if (on) for (const item of this.items) this.selected.add(item.task.messageSid);
  }

  /** Marks an error closed at once; the live frame that follows says the same. */
  markResolved(errorId: string) {
    this.items = this.items.map((item) =>
      item.lastError?.id === errorId ? { ...item, lastError: { ...item.lastError, resolved: true } } : item,
    );
  }

  private prune() {
    const keep = keepListed(this.selected, this.items);
    for (const sid of [...this.selected]) if (!keep.has(sid)) this.selected.delete(sid);
  }
}

export const readFailures = (cursor?: string): Promise<Page> =>
  call('Reading the failures', () =>
    api.GET('/api/failures', { params: { query: { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) } } }),
  );
