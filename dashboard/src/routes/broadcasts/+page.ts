import { api, call } from '$lib/api/client';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ depends }) => {
  depends('app:broadcasts');
  return {
    broadcasts: call('Reading the broadcasts', () => api.GET('/api/broadcasts', { params: { query: { limit: 50 } } })),
  };
};
