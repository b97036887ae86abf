import { redirect } from '@sveltejs/kit';
import { goto } from '$app/navigation';
import { setUnauthorizedHandler } from '$lib/api/client';
import { signInUrl } from '$lib/navigation';
import { session } from '$lib/session.svelte';
import type { LayoutLoad } from './$types';

// A single-page app served as static files: everything renders in the browser.
export const ssr = false;
export const prerender = false;

setUnauthorizedHandler(() => {
  session.set(null);
  const here = `${location.pathname}${location.search}`;
  if (location.pathname !== '/login') void goto(signInUrl(here), { invalidateAll: true });
});

export const load: LayoutLoad = async ({ url }) => {
  if (url.pathname === '/login') return {};
  if (!session.checked || !session.user) {
    const me = await session.refresh();
    if (!me) redirect(307, signInUrl(`${url.pathname}${url.search}`));
  }
  return {};
};
