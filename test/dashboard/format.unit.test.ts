import { describe, expect, it } from 'vitest';
import {
  formatCount,
  formatDate,
  formatDuration,
  formatMoney,
  formatRelative,
  maskPhone,
} from '../../dashboard/src/lib/format.js';

describe('dashboard formatting helpers', () => {
  it('money: dollars with cents; sub-cent AI costs keep four decimals; nothing is a dash', () => {
    expect(formatMoney(12.5)).toBe('$12.50');
    expect(formatMoney(1234.567)).toBe('$1,234.57');
    expect(formatMoney(0.00042)).toBe('$0.0004');
    expect(formatMoney(0)).toBe('$0.00');
    expect(formatMoney(null)).toBe('—');
    expect(formatMoney(Number.NaN)).toBe('—');
  });

  it('durations from milliseconds to days, in the largest two units', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(7_440_000)).toBe('2 h 4 min');
    expect(formatDuration(266_400_000)).toBe('3 d 2 h');
    expect(formatDuration(-1)).toBe('—');
    expect(formatDuration(undefined)).toBe('—');
  });

  it('phone masks keep the country code and the last four digits; masked or odd input passes through', () => {
    expect(maskPhone('+14155550123')).toBe('+1••••••0123');
    expect(maskPhone('+447700900123')).toBe('+4•••••••0123');
    expect(maskPhone('+1•••••0123')).toBe('+1•••••0123');
    expect(maskPhone(null)).toBe('—');
  });

  it('dates in a given time zone, minutes precision; relative times for the last day', () => {
    expect(formatDate('2026-11-30T05:07:00Z', 'UTC')).toBe('Nov 30, 2026, 05:07');
    expect(formatDate('not a date')).toBe('—');
    const now = new Date('2026-11-30T12:00:00Z');
    expect(formatRelative('2026-11-30T11:59:30Z', now)).toBe('just now');
    expect(formatRelative('2026-11-30T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelative('2026-11-30T09:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2026-11-28T09:00:00Z', now, 'UTC')).toBe('Nov 28, 2026, 09:00');
  });

  it('counts with thousands separators', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(undefined)).toBe('—');
  });
});
