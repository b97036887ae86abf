import type { paths } from '../api/schema.js';

export type TaskQuery = NonNullable<paths['/api/tasks']['get']['parameters']['query']>;
export type TaskRow = paths['/api/tasks']['get']['responses'][200]['content']['application/json']['items'][number];
export type TaskStatus = NonNullable<TaskQuery['status']>;

/** The list's filters: GET /api/tasks's, as the URL query holds them (every value a string). */
export interface TaskFilter {
  status?: TaskStatus;
  category?: string;
  tier?: string;
  phone?: string;
  from?: string;
  to?: string;
  q?: string;
}

export const FILTER_KEYS = ['status', 'category', 'tier', 'phone', 'from', 'to', 'q'] as const;

// biome-ignore format: one list, read across
export const STATUSES: readonly TaskStatus[] = [
  'received', 'classified', 'rate_limited', 'answering', 'replied', 'completed', 'failed', 'retrying', 'abandoned',
];
export const CATEGORIES = ['coding', 'debug', 'design', 'documentation', 'analysis', 'general'] as const;
export const TIERS = ['free', 'premium'] as const;

/** How long the API lets a filter be (longer is a 400): the URL is trimmed to it instead. */
const MAX = { q: 200, other: 64 } as const;

const isStatus = (s: string): s is TaskStatus => (STATUSES as readonly string[]).includes(s);
const isTime = (s: string) => !Number.isNaN(Date.parse(s));

/** The filters in a URL query; unknown or malformed values are dropped (a hand-edited link never 400s). */
export function filterFromQuery(params: URLSearchParams): TaskFilter {
  const filter: TaskFilter = {};
  for (const key of FILTER_KEYS) {
    const raw = params.get(key)?.trim();
    if (!raw) continue;
    const value = raw.slice(0, key === 'q' ? MAX.q : MAX.other);
    if (key === 'status') {
      if (isStatus(value)) filter.status = value;
    } else if (key === 'from' || key === 'to') {
      if (isTime(value)) filter[key] = new Date(value).toISOString();
    } else {
      filter[key] = value;
    }
  }
  return filter;
}

/** The URL query for these filters, keys in a fixed order ('' when none). */
export function filterToQuery(filter: TaskFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filter[key];
    if (value) params.set(key, value);
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The CSV export of the same rows: the API's format=csv, as a download link. */
export const csvHref = (filter: TaskFilter) => `/api/tasks${filterToQuery(filter, { format: 'csv' })}`;

export const hasFilters = (filter: TaskFilter) => FILTER_KEYS.some((k) => filter[k]);

/**
 * Whether a live row matches the filters, as far as the row itself can tell: `undecided` when
 * only the API can (the tier is the sender's tier when the SMS arrived, which the row does not
 * hold; an analyst's phone numbers arrive masked).
 */
export function matchesFilter(task: TaskRow, filter: TaskFilter): boolean | 'undecided' {
  if (filter.status && task.status !== filter.status) return false;
  if (filter.category && task.category !== filter.category) return false;
  const created = task.createdAt ? Date.parse(task.createdAt) : Number.NaN;
  if (filter.from && !(created >= Date.parse(filter.from))) return false;
  if (filter.to && !(created < Date.parse(filter.to))) return false;
  if (filter.q) {
    const needle = filter.q.toLowerCase();
    // The API's q fields; analysts' rows arrive without the texts, as their search skips them.
    const fields = [task.messageSid, task.model, task.errorType, task.errorMessage, task.smsContent, task.aiResponse];
    if (!fields.some((f) => f?.toLowerCase().includes(needle))) return false;
  }
  if (filter.tier || filter.phone) return 'undecided';
  return true;
}

/** Newest first, as the API orders them: created_at, then message sid, both descending. */
export function compareNewestFirst(a: TaskRow, b: TaskRow): number {
  const at = a.createdAt ?? '';
  const bt = b.createdAt ?? '';
  if (at !== bt) return at < bt ? 1 : -1;
  return a.messageSid < b.messageSid ? 1 : a.messageSid > b.messageSid ? -1 : 0;
}

/**
 * A live row merged into the list: replaced where it is (same place, so nothing moves), or, when
 * new and matching, put where the API would list it (the top, for a new SMS). A row that is new
 * but older than the last loaded row belongs to a page not loaded yet, so it is left out.
 */
export function mergeRow(
  rows: readonly TaskRow[],
  task: TaskRow,
  matches: boolean,
  complete: boolean,
): { rows: TaskRow[]; inserted: boolean } {
  const at = rows.findIndex((r) => r.messageSid === task.messageSid);
  if (at >= 0) return { rows: rows.map((r, i) => (i === at ? task : r)), inserted: false };
  if (!matches) return { rows: [...rows], inserted: false };
  const last = rows[rows.length - 1];
  if (!complete && last && compareNewestFirst(task, last) > 0) return { rows: [...rows], inserted: false };
  const index = rows.findIndex((r) => compareNewestFirst(task, r) < 0);
  const next = [...rows];
  next.splice(index < 0 ? next.length : index, 0, task);
  return { rows: next, inserted: true };
}
