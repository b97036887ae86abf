import type { Interval } from './range.js';

export interface Point {
  bucket: string;
  group: string;
  value: number | null;
}

export interface SeriesData {
  /** Bucket start times (ISO), oldest first: every bucket of the range, empty ones too. */
  buckets: string[];
  series: { label: string; values: (number | null)[] }[];
}

const STEP: Record<Interval, number> = { hour: 3_600_000, day: 86_400_000 };
/** More buckets than this come from a range the API would refuse; the points' own buckets are used. */
const MAX_BUCKETS = 800;

/** The start of the UTC hour or day that holds `ms` (the API's date_trunc(.., 'UTC')). */
export const truncate = (ms: number, interval: Interval) => Math.floor(ms / STEP[interval]) * STEP[interval];

/**
 * Points of GET /api/analytics/timeseries as one row of values per group over every bucket of
 * [from, to): a bucket without a point is 0 for counts and sums, null (a gap) for rates and latencies.
 */
export function toSeries(
  points: readonly Point[],
  options: { interval: Interval; from: string; to: string; emptyValue: 0 | null },
): SeriesData {
  const { interval, emptyValue } = options;
  const start = truncate(Date.parse(options.from), interval);
  const end = Date.parse(options.to);
  let buckets: string[] = [];
  if (end - start <= MAX_BUCKETS * STEP[interval]) {
    for (let t = start; t < end; t += STEP[interval]) buckets.push(new Date(t).toISOString());
  }
  const known = new Set(buckets);
  const extra = points.map((p) => new Date(p.bucket).toISOString()).filter((b) => !known.has(b));
  if (extra.length) buckets = [...new Set([...buckets, ...extra])].sort();

  const index = new Map(buckets.map((b, i) => [b, i]));
  const groups = new Map<string, (number | null)[]>();
  for (const p of points) {
    let values = groups.get(p.group);
    if (!values) {
      values = buckets.map(() => emptyValue);
      groups.set(p.group, values);
    }
    values[index.get(new Date(p.bucket).toISOString()) as number] = p.value;
  }
  const series = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, values]) => ({ label, values }));
  return { buckets, series };
}

/** Sum of a series' values (nulls skipped), for the charts' text alternatives. */
export const total = (values: readonly (number | null)[]) => values.reduce<number>((s, v) => s + (v ?? 0), 0);

/** A bucket's label: hours in the browser's time zone (or `timeZone`), days as UTC dates. */
export function bucketLabel(iso: string, interval: Interval, timeZone?: string): string {
  const options: Intl.DateTimeFormatOptions =
    interval === 'hour'
      ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }
      : { month: 'short', day: 'numeric', timeZone: 'UTC' };
  return new Intl.DateTimeFormat('en-US', options).format(new Date(iso));
}
