import { filterFromQuery } from '$lib/tasks/filters';
import { listTasks, PAGE_SIZE } from '$lib/tasks/task-rows.svelte';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ url, depends }) => {
  depends('app:tasks');
  const filter = filterFromQuery(url.searchParams);
  // Not awaited: the page shows its loading and error states around the promise.
  return { filter, first: listTasks(filter, { limit: PAGE_SIZE }) };
};
