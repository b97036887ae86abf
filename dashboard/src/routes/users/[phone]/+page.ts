import { readUserSpend } from '$lib/spend/read';
import { readUser } from '$lib/users/read-user';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ params, depends }) => {
  depends('app:user');
  // Not awaited: the page shows its loading and error states around the promise.
  return { phone: params.phone, user: readUser(params.phone), spend: readUserSpend(params.phone) };
};
