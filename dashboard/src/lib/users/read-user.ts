import { api, call } from '../api/client.js';
import type { UserDetail } from './types.js';

export const readUser = (phone: string): Promise<UserDetail> =>
  call('Reading this person', () => api.GET('/api/users/{phone}', { params: { path: { phone } } }));

/**
 * Reads the person again until `done` holds: a change is an event, and the read model shows it a
 * moment later, once the projector has applied it. Gives the last reading either way.
 */
export async function readUntil(
  phone: string,
  done: (user: UserDetail) => boolean,
  { tries = 40, everyMs = 250 } = {},
): Promise<UserDetail> {
  let user = await readUser(phone);
  for (let i = 1; i < tries && !done(user); i++) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    user = await readUser(phone);
  }
  return user;
}
