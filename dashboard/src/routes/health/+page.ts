import { api, call } from '$lib/api/client';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ depends }) => {
  depends('app:health');
  // Not awaited: the page shows its loading and error states around the promise.
  return { health: call('Reading the health checks', () => api.GET('/api/health')) };
};
