import { api, call } from '$lib/api/client';
import { filtersFromUrl, PAGE_SIZE } from '$lib/users/filters';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ url, depends }) => {
  depends('app:users');
  const { filters, invalid } = filtersFromUrl(url.searchParams);
  // Not awaited: the page shows its loading and error states around the promise.
  const users = call('Reading the users', () =>
    api.GET('/api/users', { params: { query: { ...filters, limit: PAGE_SIZE } } }),
  );
  return { filters, invalid, users };
};
