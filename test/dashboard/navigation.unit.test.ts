import { describe, expect, it } from 'vitest';
import { isCurrent, navFor, safeNext, signInUrl } from '../../dashboard/src/lib/navigation.js';

describe('dashboard navigation', () => {
  it('every role sees the shared pages; only admins see Audit and API tokens', () => {
    const labels = (role: Parameters<typeof navFor>[0]) => navFor(role).map((i) => i.label);
    expect(labels('admin')).toContain('Audit');
    expect(labels('admin')).toContain('API tokens');
    for (const role of ['ops', 'analyst'] as const) {
      expect(labels(role)).not.toContain('Audit');
      expect(labels(role)).not.toContain('API tokens');
      expect(labels(role)).toContain('Simulator');
    }
  });

  it('a nav item is current on its own page and below it; Overview only on /', () => {
    expect(isCurrent('/tasks', '/tasks/SM123')).toBe(true);
    expect(isCurrent('/tasks', '/tasksx')).toBe(false);
    expect(isCurrent('/', '/tasks')).toBe(false);
    expect(isCurrent('/', '/')).toBe(true);
  });

  it('?next= is followed only to a path on this site', () => {
    expect(safeNext('/tasks?status=failed')).toBe('/tasks?status=failed');
    expect(safeNext('https://evil.example/')).toBe('/');
    expect(safeNext('//evil.example/')).toBe('/');
    expect(safeNext('/\\evil.example/')).toBe('/');
    expect(safeNext('/login?next=/x')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });

  it('the sign-in URL carries the page to come back to', () => {
    expect(signInUrl('/tasks?status=failed')).toBe('/login?next=%2Ftasks%3Fstatus%3Dfailed');
    expect(signInUrl('/')).toBe('/login');
  });
});
