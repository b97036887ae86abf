import { api, call } from '../api/client.js';
import { matchesFilter, mergeRow, type TaskFilter, type TaskRow } from './filters.js';

type Page = { items: TaskRow[]; nextCursor: string | null };

/** The API's page size for this list, and the most one reload may ask for. */
export const PAGE_SIZE = 50;
const MAX_LIMIT = 500;

export const listTasks = (filter: TaskFilter, extra: { limit?: number; cursor?: string } = {}) =>
  call('Reading the tasks', () => api.GET('/api/tasks', { params: { query: { ...filter, ...extra } } }));

/**
 * The rows the Tasks page shows: the first page from its load, more pages on request, and live
 * rows merged in place (GET /api/stream's task frames) so the list never reloads under the reader.
 */
export class TaskRows {
  rows = $state<TaskRow[]>([]);
  nextCursor = $state<string | null>(null);
  loadingMore = $state(false);
  /** A failed "load more" or reload, with what failed (the rows shown stay). */
  error = $state<string | null>(null);
  /** New rows put in since the page loaded, for the polite announcement. */
  arrived = $state(0);
  private filter: TaskFilter = {};
  private generation = 0;

  constructor(
    /** Called before a new row goes in, and after with what it returned: the page keeps its scroll. */
    private readonly beforeInsert: () => () => void = () => () => undefined,
  ) {}

  replace(page: Page, filter: TaskFilter) {
    this.generation++;
    this.filter = filter;
    this.rows = page.items;
    this.nextCursor = page.nextCursor;
    this.error = null;
    this.arrived = 0;
  }

  async loadMore() {
    if (!this.nextCursor || this.loadingMore) return;
    const generation = this.generation;
    this.loadingMore = true;
    this.error = null;
    try {
      const page = await listTasks(this.filter, { limit: PAGE_SIZE, cursor: this.nextCursor });
      if (generation !== this.generation) return;
      // A live row may already be there: keep the one in place.
      const known = new Set(this.rows.map((r) => r.messageSid));
      this.rows = [...this.rows, ...page.items.filter((r) => !known.has(r.messageSid))];
      this.nextCursor = page.nextCursor;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.loadingMore = false;
    }
  }

  /** After a stream reset: the same number of rows read again, replaced where they stand. */
  async reload() {
    const generation = this.generation;
    try {
      const limit = Math.min(Math.max(this.rows.length, PAGE_SIZE), MAX_LIMIT);
      const page = await listTasks(this.filter, { limit });
      if (generation !== this.generation) return;
      this.rows = page.items;
      this.nextCursor = page.nextCursor;
      this.error = null;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  /** One live row: updated in place, or put in when new and matching the filters. */
  async apply(task: TaskRow) {
    const generation = this.generation;
    let matches = matchesFilter(task, this.filter);
    const known = this.rows.some((r) => r.messageSid === task.messageSid);
    if (matches === 'undecided' && !known) {
      // The API decides: the same filters, narrowed to this message sid (q matches sids).
      const page = await listTasks({ ...this.filter, q: task.messageSid }, { limit: 1 }).catch(() => null);
      if (generation !== this.generation) return;
      matches = page?.items.some((r) => r.messageSid === task.messageSid) ?? false;
    }
    const merged = mergeRow(this.rows, task, matches === true, this.nextCursor === null);
    if (!merged.inserted) {
      if (known) this.rows = merged.rows;
      return;
    }
    const after = this.beforeInsert();
    this.rows = merged.rows;
    this.arrived++;
    after();
  }
}
