import { auditReadModel } from './audit/handler.js';
import { broadcastsReadModel } from './broadcasts/handler.js';
import { dailyStatsReadModel } from './daily-stats/handler.js';
import { errorLogsReadModel } from './error-logs/handler.js';
import { messagesReadModel } from './messages/handler.js';
import type { ReadModel } from './runtime/types.js';
import { tasksReadModel } from './tasks/handler.js';
import { usersReadModel } from './users/handler.js';

/** Every read model; each is its own projection (own checkpoint, own subscription, own lock). */
export const READ_MODELS: readonly ReadModel[] = [
  usersReadModel,
  tasksReadModel,
  messagesReadModel,
  errorLogsReadModel,
  dailyStatsReadModel,
  auditReadModel,
  broadcastsReadModel,
];

export const PROJECTION_NAMES = READ_MODELS.map((m) => m.name);

export function readModelsNamed(names: readonly string[] | undefined): ReadModel[] {
  if (!names || names.length === 0) return [...READ_MODELS];
  const unknown = names.filter((n) => !PROJECTION_NAMES.includes(n));
  if (unknown.length > 0) {
    throw new Error(`Unknown projection ${unknown.join(', ')} (known: ${PROJECTION_NAMES.join(', ')})`);
  }
  return READ_MODELS.filter((m) => names.includes(m.name));
}
