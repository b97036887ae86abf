import type { paths } from './api/schema.js';

export type Role = paths['/api/auth/me']['get']['responses'][200]['content']['application/json']['role'];

export interface NavItem {
  href: string;
  label: string;
  /** Only these roles see the link (the API refuses the others anyway). */
  roles?: readonly Role[];
}

export const NAV: readonly NavItem[] = [
  { href: '/', label: 'Overview' },
  { href: '/tasks', label: 'Tasks' },
  { href: '/failures', label: 'Failures' },
  { href: '/users', label: 'Users' },
  { href: '/projections', label: 'Projections' },
  { href: '/health', label: 'Health' },
  { href: '/audit', label: 'Audit', roles: ['admin'] },
  { href: '/tokens', label: 'API tokens', roles: ['admin'] },
  { href: '/simulator', label: 'Simulator' },
  { href: '/broadcasts', label: 'Broadcasts' },
];

export const navFor = (role: Role | undefined) =>
  NAV.filter((item) => !item.roles || (role && item.roles.includes(role)));

/** Whether `pathname` is inside the nav item (Tasks stays current on /tasks/SM...). */
export const isCurrent = (href: string, pathname: string) =>
  href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);

/**
 * Where to go after signing in: `next` only when it is a path on this site, so a crafted link
 * (`?next=https://evil.example` or `//evil.example`) cannot send a person elsewhere.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next === '/login' || next.startsWith('/login?') || next.startsWith('/login/')) return '/';
  return next;
}

/** The sign-in URL that comes back to `path` (path plus query) afterwards. */
export const signInUrl = (path: string) => (path === '/' ? '/login' : `/login?next=${encodeURIComponent(path)}`);
