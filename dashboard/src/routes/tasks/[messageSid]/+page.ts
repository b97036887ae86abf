import { readTask } from '$lib/tasks/task-detail';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ params, depends }) => {
  depends('app:task');
  // Not awaited: the page shows its loading and error states around the promise.
  return { messageSid: params.messageSid, detail: readTask(params.messageSid) };
};
