import { readFailures } from '$lib/failures/failure-queue.svelte';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ depends }) => {
  depends('app:failures');
  // Not awaited: the page shows its loading and error states around the promise.
  return { failures: readFailures() };
};
