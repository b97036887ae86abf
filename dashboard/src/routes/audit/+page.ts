import { auditQuery } from '$lib/admin/audit';
import { api, call } from '$lib/api/client';
import { session } from '$lib/session.svelte';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ depends, parent, url }) => {
  depends('app:audit');
  await parent();
  if (!session.isAdmin) return { audit: null };
  // Filters and the page's cursor live in the URL, so a filtered view can be linked and reloaded.
  const query = auditQuery(url.searchParams);
  return {
    audit: call('Reading the audit trail', () => api.GET('/api/audit', { params: { query } })),
    paged: Boolean(query.cursor),
  };
};
