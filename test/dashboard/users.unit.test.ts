import { describe, expect, it } from 'vitest';
import {
  filtersFromUrl,
  filtersToQuery,
  isDialable,
  isSearchable,
  normalizeSearch,
  userHref,
} from '../../dashboard/src/lib/users/filters.js';
import {
  deliveryTick,
  messageText,
  usagePercent,
  usageTone,
  windowLabel,
} from '../../dashboard/src/lib/users/thread.js';

const fromQuery = (q: string) => filtersFromUrl(new URLSearchParams(q));

describe('the Users list filters in the URL', () => {
  it('reads search, tier and opted out; writes them back in one order', () => {
    const { filters } = fromQuery('optedOut=true&tier=premium&search=%2B1415');
    expect(filters).toEqual({ search: '+1415', tier: 'premium', optedOut: true });
    expect(filtersToQuery(filters)).toBe('?search=%2B1415&tier=premium&optedOut=true');
    expect(fromQuery('optedOut=false').filters).toEqual({ optedOut: false });
    expect(filtersToQuery({})).toBe('');
  });

  it('a typed number with spaces and punctuation searches its digits', () => {
    expect(normalizeSearch(' +1 (415) 555-01 ')).toBe('+141555501');
    expect(fromQuery('search=415%20555').filters).toEqual({ search: '415555' });
  });

  it('drops what the API would refuse: letters in search (named), unknown tier, other booleans', () => {
    expect(fromQuery('search=abc&tier=gold&optedOut=yes')).toEqual({ filters: {}, invalid: 'abc' });
    expect(isSearchable('12a')).toBe(false);
    expect(isSearchable('')).toBe(true);
    expect(isSearchable('+44 20')).toBe(true);
  });

  it('links a whole number to its page, + encoded; a masked one is not dialable', () => {
    expect(userHref('+14155550123')).toBe('/users/%2B14155550123');
    expect(isDialable('+14155550123')).toBe(true);
    expect(isDialable('+1*******23')).toBe(false);
  });
});

describe('the user page', () => {
  it('delivery ticks follow Twilio statuses', () => {
    expect(deliveryTick('queued').label).toBe('Queued');
    expect(deliveryTick('sending').label).toBe('Queued');
    expect(deliveryTick('sent')).toMatchObject({ symbol: '✓', label: 'Sent' });
    expect(deliveryTick('delivered')).toMatchObject({ symbol: '✓✓', label: 'Delivered', tone: 'ok' });
    expect(deliveryTick('undelivered', '30003')).toMatchObject({ label: 'Failed (error 30003)', tone: 'danger' });
    expect(deliveryTick('failed').label).toBe('Failed');
    expect(deliveryTick(null).label).toBe('No delivery report yet');
  });

  it('quota bars: percent capped at 100, a zero limit is full once used, colour near and at the limit', () => {
    expect(usagePercent(3, 10)).toBe(30);
    expect(usagePercent(15, 10)).toBe(100);
    expect(usagePercent(0, 0)).toBe(0);
    expect(usagePercent(1, 0)).toBe(100);
    expect(usageTone(3, 10)).toBe('ok');
    expect(usageTone(8, 10)).toBe('warn');
    expect(usageTone(10, 10)).toBe('danger');
    expect(windowLabel('day')).toBe('Today');
  });

  it('a withheld text says so; an empty one too', () => {
    expect(messageText('<b>hi</b>', false)).toBe('<b>hi</b>');
    expect(messageText(null, true)).toBe('Text withheld');
    expect(messageText(null, false)).toBe('No text');
  });
});
