import { live } from '../live.svelte.js';
import { readUntil } from './read-user.js';
import type { UserDetail } from './types.js';

/**
 * Keeps a person's page current while it is open: a task frame for their number (a new SMS, an
 * answer, a takeover's unanswered SMS) reads them again, until the thread has that SMS (the
 * messages projection may be a moment behind the tasks one). Returns the unsubscribe function.
 */
export function followConversation(phone: string, onread: (user: UserDetail) => void): () => void {
  const has = (user: UserDetail, messageSid: string) =>
    user.conversation.items.some((m) => m.direction === 'in' && m.taskMessageSid === messageSid);
  return live.listen({
    task: (task) => {
      if (task.userPhone !== phone) return;
      readUntil(phone, (u) => has(u, task.messageSid), { tries: 8 })
        .then(onread)
        .catch(() => undefined);
    },
  });
}
