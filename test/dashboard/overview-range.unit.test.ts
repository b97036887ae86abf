import { describe, expect, it } from 'vitest';
import { groupFromQuery, rangeFromQuery, rangeToQuery } from '../../dashboard/src/lib/overview/range.js';
import { bucketLabel, toSeries } from '../../dashboard/src/lib/overview/series.js';

const NOW = new Date('2026-11-30T12:34:56.789Z');
const q = (s: string) => new URLSearchParams(s);

describe('Overview range in the URL', () => {
  it('presets end now (whole minutes) and pick hours or days', () => {
    expect(rangeFromQuery(q(''), NOW)).toEqual({ key: '24h', from: '2026-11-29T12:34:00.000Z', interval: 'hour' });
    expect(rangeFromQuery(q('range=7d'), NOW)).toMatchObject({ from: '2026-11-23T12:34:00.000Z', interval: 'hour' });
    expect(rangeFromQuery(q('range=30d'), NOW)).toMatchObject({ key: '30d', interval: 'day' });
    expect(rangeFromQuery(q('range=1y'), NOW).key).toBe('24h');
  });

  it('custom ranges keep from and to; a backwards or broken one falls back to 24 hours', () => {
    expect(rangeFromQuery(q('range=custom&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z'), NOW)).toEqual({
      key: 'custom',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-02T00:00:00.000Z',
      interval: 'hour',
    });
    expect(rangeFromQuery(q('range=custom&from=2026-11-01T00:00:00Z'), NOW).interval).toBe('day');
    expect(rangeFromQuery(q('range=custom&from=2026-11-03T00:00:00Z&to=2026-11-02T00:00:00Z'), NOW).key).toBe('24h');
    expect(rangeFromQuery(q('range=custom&from=soon'), NOW).key).toBe('24h');
  });

  it('writes presets by key only, custom with its times, and the grouping when not the default', () => {
    expect(rangeToQuery({ key: '7d', from: 'ignored' })).toBe('?range=7d');
    expect(rangeToQuery({ key: 'custom', from: '2026-11-01T00:00:00.000Z' }, 'model')).toBe(
      '?range=custom&from=2026-11-01T00%3A00%3A00.000Z&by=model',
    );
    expect(groupFromQuery(q('by=tier'))).toBe('tier');
    expect(groupFromQuery(q('by=drop table'))).toBe('category');
  });
});

describe('time series for the charts', () => {
  it('every bucket of the range, empty ones 0 for counts or null for rates, one row per group', () => {
    const points = [
      { bucket: '2026-11-30T10:00:00.000Z', group: 'coding', value: 3 },
      { bucket: '2026-11-30T12:00:00.000Z', group: 'coding', value: 1 },
      { bucket: '2026-11-30T12:00:00.000Z', group: 'analysis', value: 2 },
    ];
    const range = { interval: 'hour' as const, from: '2026-11-30T09:30:00Z', to: '2026-11-30T12:30:00Z' };
    const counts = toSeries(points, { ...range, emptyValue: 0 });
    expect(counts.buckets).toEqual([
      '2026-11-30T09:00:00.000Z',
      '2026-11-30T10:00:00.000Z',
      '2026-11-30T11:00:00.000Z',
      '2026-11-30T12:00:00.000Z',
    ]);
    expect(counts.series).toEqual([
      { label: 'analysis', values: [0, 0, 0, 2] },
      { label: 'coding', values: [0, 3, 0, 1] },
    ]);
    expect(toSeries(points, { ...range, emptyValue: null }).series[0]?.values).toEqual([null, null, null, 2]);
  });

  it('labels hours in the given time zone and days as UTC dates', () => {
    expect(bucketLabel('2026-11-30T10:00:00.000Z', 'hour', 'UTC')).toBe('Nov 30, 10:00');
    expect(bucketLabel('2026-11-30T00:00:00.000Z', 'day')).toBe('Nov 30');
  });
});
