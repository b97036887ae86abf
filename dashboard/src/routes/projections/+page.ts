import { api, call } from '$lib/api/client';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ depends }) => {
  depends('app:projections');
  // Not awaited: the page shows its loading and error states around the promise.
  return { projections: call('Reading the projections', () => api.GET('/api/projections')) };
};
