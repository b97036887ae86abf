import { api, call } from '$lib/api/client';
import { session } from '$lib/session.svelte';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ depends, parent }) => {
  depends('app:tokens');
  // The layout's load knows who is signed in; other roles get the "needs an admin" note, no call.
  await parent();
  return { tokens: session.isAdmin ? call('Reading the API tokens', () => api.GET('/api/tokens')) : null };
};
