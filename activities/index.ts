import { createBroadcastActivities } from './broadcast.js';
import type { ActivityDeps } from './deps.js';
import { createHumanReplyActivities } from './human-reply.js';
import { createSmsTaskActivities } from './sms-task.js';

export type { ActivityDeps } from './deps.js';

/** The worker registers these; workflows import the type only. */
export function createActivities(deps: ActivityDeps) {
  return { ...createSmsTaskActivities(deps), ...createBroadcastActivities(deps), ...createHumanReplyActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
