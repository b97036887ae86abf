import type { paths } from '../api/schema.js';

export type AuditQuery = NonNullable<paths['/api/audit']['get']['parameters']['query']>;
export type AuditPage = paths['/api/audit']['get']['responses'][200]['content']['application/json'];
export type AuditEntry = AuditPage['items'][number];

/** The actions the audit read model records (projections/audit/handler.ts), for the filter's suggestions. */
export const AUDIT_ACTIONS = [
  'TierChanged',
  'UserOptedOut',
  'UserOptedIn',
  'TaskRetrySignalled',
  'ErrorResolved',
  'ProjectionRebuildRequested',
  'AccountCreated',
  'AccountDisabled',
  'ApiTokenCreated',
  'ApiTokenRevoked',
  'BroadcastStarted',
  'BroadcastCancelled',
  'ConversationTakenOver',
  'ConversationReleased',
  'ReplySent',
] as const;

export const PAGE_SIZE = 50;

/** The filters as they sit in the page's URL (what a person typed; times as datetime-local values). */
export interface AuditFilters {
  actor: string;
  action: string;
  from: string;
  to: string;
}

export const filtersFrom = (params: URLSearchParams): AuditFilters => ({
  actor: params.get('actor') ?? '',
  action: params.get('action') ?? '',
  from: params.get('from') ?? '',
  to: params.get('to') ?? '',
});

/** A datetime-local value ("2026-11-30T08:15") in the browser's zone as ISO, or undefined when empty or bad. */
export function localToIso(value: string): string | undefined {
  if (!value.trim()) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The API query for the filters in the URL and an optional cursor (empty filters left out). */
export function auditQuery(params: URLSearchParams): AuditQuery {
  const f = filtersFrom(params);
  const query: AuditQuery = { limit: PAGE_SIZE };
  if (f.actor.trim()) query.actor = f.actor.trim();
  if (f.action.trim()) query.action = f.action.trim();
  const from = localToIso(f.from);
  const to = localToIso(f.to);
  if (from) query.from = from;
  if (to) query.to = to;
  const cursor = params.get('cursor');
  if (cursor) query.cursor = cursor;
  return query;
}

/** The page's URL search for these filters (and a cursor), empty ones left out. */
export function searchFor(filters: AuditFilters, cursor?: string | null): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value.trim()) params.set(key, value.trim());
  if (cursor) params.set('cursor', cursor);
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** An entry's details as short "key: value" text (rendered as text, never as HTML). */
export function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ');
}
