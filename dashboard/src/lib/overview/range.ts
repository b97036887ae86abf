/** The Overview's time range, as its URL query holds it (`?range=7d`, or `?range=custom&from=..&to=..`). */

export type RangeKey = '24h' | '7d' | '30d' | 'custom';
export type Interval = 'hour' | 'day';
export type GroupBy = 'category' | 'tier' | 'model';

export interface Range {
  key: RangeKey;
  /** ISO times; `to` absent means now. */
  from: string;
  to?: string;
  interval: Interval;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const PRESETS: readonly { key: Exclude<RangeKey, 'custom'>; label: string; ms: number; interval: Interval }[] = [
  { key: '24h', label: 'Last 24 hours', ms: DAY, interval: 'hour' },
  { key: '7d', label: 'Last 7 days', ms: 7 * DAY, interval: 'hour' },
  { key: '30d', label: 'Last 30 days', ms: 30 * DAY, interval: 'day' },
];
export const GROUPS: readonly GroupBy[] = ['category', 'tier', 'model'];

/** Hourly buckets up to three days (at most 72 bars); days beyond (the API allows hours up to 31). */
export const intervalFor = (ms: number): Interval => (ms <= 3 * DAY ? 'hour' : 'day');

const time = (s: string | null) => (s && !Number.isNaN(Date.parse(s)) ? new Date(s).toISOString() : undefined);

/** The range in a URL query at `now`; anything unknown or backwards falls back to the last 24 hours. */
export function rangeFromQuery(params: URLSearchParams, now: Date): Range {
  const key = params.get('range');
  if (key === 'custom') {
    const from = time(params.get('from'));
    const to = time(params.get('to'));
    if (from && (!to || Date.parse(from) < Date.parse(to))) {
      const span = (to ? Date.parse(to) : now.getTime()) - Date.parse(from);
      return { key: 'custom', from, to, interval: intervalFor(span) };
    }
  }
  const preset = PRESETS.find((p) => p.key === key) ?? (PRESETS[0] as (typeof PRESETS)[number]);
  // Whole minutes, so two reads of one page ask the API the same question.
  const end = Math.floor(now.getTime() / 60_000) * 60_000;
  return { key: preset.key, from: new Date(end - preset.ms).toISOString(), interval: preset.interval };
}

/** The URL query for a range (presets need only their key: they move with the clock). */
export function rangeToQuery(range: Pick<Range, 'key' | 'from' | 'to'>, groupBy?: GroupBy): string {
  const params = new URLSearchParams({ range: range.key });
  if (range.key === 'custom') {
    params.set('from', range.from);
    if (range.to) params.set('to', range.to);
  }
  if (groupBy && groupBy !== 'category') params.set('by', groupBy);
  return `?${params}`;
}

export const groupFromQuery = (params: URLSearchParams): GroupBy =>
  (GROUPS as readonly string[]).includes(params.get('by') ?? '') ? (params.get('by') as GroupBy) : 'category';
