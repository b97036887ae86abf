import { describe, expect, it } from 'vitest';
import { auditQuery, detailsText, filtersFrom, localToIso, searchFor } from '../../dashboard/src/lib/admin/audit.js';
import {
  isRebuilding,
  lastOutcomeText,
  type Projection,
  type ProjectionList,
  progressText,
  rebuildFinished,
} from '../../dashboard/src/lib/admin/projections.js';
import { parseExpiresInDays, sortTokens, type TokenInfo, tokenStatus } from '../../dashboard/src/lib/admin/tokens.js';

const idle: Projection['rebuild'] = {
  state: 'idle',
  rebuildId: null,
  eventsReplayed: 0,
  eventsTotal: 0,
  percent: 0,
  startedAt: null,
  startedBy: null,
  last: null,
};
const projection = (name: string, rebuild: Partial<Projection['rebuild']> = {}): Projection => ({
  name,
  state: 'caught_up',
  checkpoint: null,
  eventsProcessed: 10,
  lagEvents: 0,
  lagEventsCapped: false,
  lagSeconds: 0,
  lastEventAt: null,
  updatedAt: null,
  rebuild: { ...idle, ...rebuild },
});
const list = (...projections: Projection[]): ProjectionList => ({ schema: 'read_models', projections });
const finished = (rebuildId: string, outcome: 'succeeded' | 'failed' = 'succeeded') => ({
  rebuildId,
  outcome,
  finishedAt: '2026-11-30T06:00:00.000Z',
  error: outcome === 'failed' ? 'disk full' : null,
  eventsReplayed: 1200,
});

describe('projections page helpers', () => {
  it('given a list read before the rebuild wrote progress, when asked, then it has not finished', () => {
    expect(rebuildFinished(list(projection('tasks'), projection('users')), 'r1')).toBe(false);
  });

  it('given the rebuild running, then it has not finished and the list counts as rebuilding', () => {
    const running = list(
      projection('tasks', { state: 'rebuilding', rebuildId: 'r1', percent: 40 }),
      projection('users'),
    );
    expect(rebuildFinished(running, 'r1')).toBe(false);
    expect(isRebuilding(running)).toBe(true);
  });

  it('given the rebuild as the last finished one of every projection it covers, then it has finished', () => {
    const done = list(
      projection('tasks', { rebuildId: 'r1', last: finished('r1') }),
      projection('users', { rebuildId: 'r0', last: finished('r0') }),
    );
    expect(rebuildFinished(done, 'r1')).toBe(true);
    expect(isRebuilding(done)).toBe(false);
    // "all": one projection done, another still replaying under the same id
    const half = list(
      projection('tasks', { rebuildId: 'r2', last: finished('r2') }),
      projection('users', { state: 'rebuilding', rebuildId: 'r2', last: finished('r0') }),
    );
    expect(rebuildFinished(half, 'r2')).toBe(false);
  });

  it('progress and outcome read as words', () => {
    expect(progressText({ ...idle, state: 'rebuilding', eventsReplayed: 1204, eventsTotal: 3000, percent: 40.1 })).toBe(
      '1,204 of 3,000 events (40.1%)',
    );
    expect(lastOutcomeText(idle)).toBe('Never rebuilt');
    expect(lastOutcomeText({ ...idle, last: finished('r1') })).toBe('Succeeded, 1,200 events');
    expect(lastOutcomeText({ ...idle, last: finished('r1', 'failed') })).toBe('Failed: disk full');
  });
});

describe('API token helpers', () => {
  const now = new Date('2026-11-30T06:00:00Z');
  const token = (over: Partial<TokenInfo>): TokenInfo => ({
    id: '00000000-0000-4000-8000-000000000000',
    name: 't',
    role: 'analyst',
    createdBy: 'admin@example.test',
    createdAt: '2026-11-01T00:00:00.000Z',
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...over,
  });

  it('status: revoked beats expired; expired at the exact instant; otherwise active', () => {
    expect(tokenStatus(token({}), now)).toBe('active');
    expect(tokenStatus(token({ expiresAt: '2026-11-30T06:00:00.000Z' }), now)).toBe('expired');
    expect(tokenStatus(token({ expiresAt: '2026-12-30T06:00:00.000Z' }), now)).toBe('active');
    expect(
      tokenStatus(token({ expiresAt: '2026-01-01T00:00:00.000Z', revokedAt: '2025-12-01T00:00:00.000Z' }), now),
    ).toBe('revoked');
  });

  it('sorts active tokens first, newest first within each group', () => {
    const sorted = sortTokens(
      [
        token({ name: 'old-active', createdAt: '2026-10-01T00:00:00.000Z' }),
        token({ name: 'revoked', createdAt: '2026-11-29T00:00:00.000Z', revokedAt: '2026-11-29T01:00:00.000Z' }),
        token({ name: 'new-active', createdAt: '2026-11-20T00:00:00.000Z' }),
      ],
      now,
    );
    expect(sorted.map((t) => t.name)).toEqual(['new-active', 'old-active', 'revoked']);
  });

  it('expires in days: blank is never, whole numbers 1-3650 pass, anything else is invalid', () => {
    expect(parseExpiresInDays('')).toBeUndefined();
    expect(parseExpiresInDays(null)).toBeUndefined();
    expect(parseExpiresInDays(30)).toBe(30);
    expect(parseExpiresInDays('3650')).toBe(3650);
    for (const bad of ['0', '3651', '1.5', 'abc', -2]) expect(parseExpiresInDays(bad)).toBe('invalid');
  });
});

describe('audit page helpers', () => {
  it('the URL filters become the API query, empty ones left out, times as ISO', () => {
    const params = new URLSearchParams({
      actor: ' admin@x.test ',
      action: '',
      from: '2026-11-30T08:15',
      cursor: 'abc',
    });
    expect(auditQuery(params)).toEqual({
      limit: 50,
      actor: 'admin@x.test',
      from: new Date('2026-11-30T08:15').toISOString(),
      cursor: 'abc',
    });
    expect(auditQuery(new URLSearchParams())).toEqual({ limit: 50 });
  });

  it('a bad or empty time is left out rather than sent', () => {
    expect(localToIso('')).toBeUndefined();
    expect(localToIso('not a time')).toBeUndefined();
    expect(auditQuery(new URLSearchParams({ to: 'garbage' }))).toEqual({ limit: 50 });
  });

  it('filters round-trip through the URL, with the cursor for the next page', () => {
    const filters = { actor: 'a@b.c', action: 'ApiTokenCreated', from: '', to: '' };
    const search = searchFor(filters, 'next-1');
    expect(search).toBe('?actor=a%40b.c&action=ApiTokenCreated&cursor=next-1');
    expect(filtersFrom(new URLSearchParams(search))).toEqual(filters);
    expect(searchFor({ actor: '', action: '', from: '', to: '' })).toBe('');
  });

  it('details read as short key: value text', () => {
    expect(detailsText({ tokenId: 'x1', role: 'ops', expiresAt: null, projections: ['tasks'] })).toBe(
      'tokenId: x1; role: ops; projections: ["tasks"]',
    );
  });
});
