import { describe, expect, it } from 'vitest';
import {
  csvHref,
  filterFromQuery,
  filterToQuery,
  matchesFilter,
  mergeRow,
  type TaskRow,
} from '../../dashboard/src/lib/tasks/filters.js';

const row = (over: Partial<TaskRow>): TaskRow =>
  ({
    messageSid: 'SM1',
    status: 'received',
    category: null,
    createdAt: '2026-11-30T10:00:00.000Z',
    userPhone: '+14155550101',
    model: null,
    errorType: null,
    errorMessage: null,
    smsContent: 'hello there',
    aiResponse: null,
    ...over,
  }) as TaskRow;

describe('Tasks filters in the URL', () => {
  it('reads known filters, drops unknown and malformed ones, and writes them back in a fixed order', () => {
    const filter = filterFromQuery(
      new URLSearchParams('q=%20hi%20&status=bogus&category=coding&from=2026-11-30T10:00:00Z&to=yesterday&x=1'),
    );
    expect(filter).toEqual({ q: 'hi', category: 'coding', from: '2026-11-30T10:00:00.000Z' });
    expect(filterToQuery({ q: 'hi', status: 'failed' })).toBe('?status=failed&q=hi');
    expect(filterToQuery({})).toBe('');
  });

  it('trims values to the lengths the API accepts, so a long link never becomes a 400', () => {
    const filter = filterFromQuery(new URLSearchParams({ q: 'x'.repeat(500), phone: '1'.repeat(100) }));
    expect(filter.q).toHaveLength(200);
    expect(filter.phone).toHaveLength(64);
  });

  it('the CSV link is the list query with format=csv', () => {
    expect(csvHref({ status: 'completed', q: 'a b' })).toBe('/api/tasks?status=completed&q=a+b&format=csv');
    expect(csvHref({})).toBe('/api/tasks?format=csv');
  });
});

describe('live rows against the filters', () => {
  it('decides status, category, time and text locally; tier and phone only the API can', () => {
    const task = row({ status: 'completed', category: 'coding', model: 'gpt-4o-mini' });
    expect(matchesFilter(task, {})).toBe(true);
    expect(matchesFilter(task, { status: 'completed', category: 'coding' })).toBe(true);
    expect(matchesFilter(task, { status: 'failed' })).toBe(false);
    expect(matchesFilter(task, { from: '2026-11-30T10:00:00.000Z' })).toBe(true);
    expect(matchesFilter(task, { to: '2026-11-30T10:00:00.000Z' })).toBe(false);
    expect(matchesFilter(task, { q: 'GPT-4O' })).toBe(true);
    expect(matchesFilter(task, { q: 'HELLO' })).toBe(true);
    expect(matchesFilter(task, { q: 'nowhere' })).toBe(false);
    expect(matchesFilter(task, { tier: 'free' })).toBe('undecided');
    expect(matchesFilter(task, { phone: '+14155550101', status: 'failed' })).toBe(false);
  });

  it('a known row is replaced where it stands; a new matching row goes on top; a non-matching one is left out', () => {
    const rows = [row({ messageSid: 'SM3', createdAt: '2026-11-30T12:00:00Z' }), row({ messageSid: 'SM2' })];
    const updated = mergeRow(rows, row({ messageSid: 'SM2', status: 'completed' }), false, false);
    expect(updated.inserted).toBe(false);
    expect(updated.rows.map((r) => [r.messageSid, r.status])).toEqual([
      ['SM3', 'received'],
      ['SM2', 'completed'],
    ]);

    const fresh = row({ messageSid: 'SM4', createdAt: '2026-11-30T13:00:00Z' });
    expect(mergeRow(rows, fresh, true, false).rows.map((r) => r.messageSid)).toEqual(['SM4', 'SM3', 'SM2']);
    expect(mergeRow(rows, fresh, false, false)).toEqual({ rows, inserted: false });
  });

  it('a new row older than the last loaded one waits for its page, unless every page is loaded', () => {
    const rows = [row({ messageSid: 'SM3', createdAt: '2026-11-30T12:00:00Z' })];
    const old = row({ messageSid: 'SM0', createdAt: '2026-11-29T12:00:00Z' });
    expect(mergeRow(rows, old, true, false).inserted).toBe(false);
    expect(mergeRow(rows, old, true, true).rows.map((r) => r.messageSid)).toEqual(['SM3', 'SM0']);
  });
});
