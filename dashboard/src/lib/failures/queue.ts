/** Pure rules of the Failures page: how a live frame changes the list, selection, retry answers. */
import type { paths } from '../api/schema.js';

type FailureList = paths['/api/failures']['get']['responses'][200]['content']['application/json'];
/** A task waiting for ops, as GET /api/failures lists it. */
export type Failure = FailureList['items'][number];
export type RetryAnswer =
  paths['/api/tasks/retry']['post']['responses'][200]['content']['application/json']['results'][number];

/** The data of an `event: failure` frame: an item as listed, or a task that no longer waits. */
export type FailureFrame = Failure | { id: string; messageSid: string; resolved: true };

export const isGone = (frame: FailureFrame): frame is Extract<FailureFrame, { resolved: true }> =>
  'resolved' in frame && frame.resolved === true && !('task' in frame);

const sidOf = (frame: FailureFrame) => (isGone(frame) ? frame.messageSid : frame.task.messageSid);

/** Newest first, as the API orders them: created at, then MessageSid, both descending. */
function newerFirst(a: Failure, b: Failure): number {
  const at = (b.task.createdAt ?? '').localeCompare(a.task.createdAt ?? '');
  return at !== 0 ? at : b.task.messageSid.localeCompare(a.task.messageSid);
}

/** The list after one frame: a waiting task is added or replaced in order, a gone one removed. */
export function applyFrame(items: readonly Failure[], frame: FailureFrame): Failure[] {
  const sid = sidOf(frame);
  const rest = items.filter((item) => item.task.messageSid !== sid);
  if (isGone(frame)) return rest;
  return [...rest, frame].sort(newerFirst);
}

/** Items from a further page appended, without duplicates of ones a frame already added. */
export function appendPage(items: readonly Failure[], page: readonly Failure[]): Failure[] {
  const seen = new Set(items.map((i) => i.task.messageSid));
  return [...items, ...page.filter((i) => !seen.has(i.task.messageSid))];
}

/** Only the selected sids still listed (a task that left the queue cannot stay selected). */
export const keepListed = (selected: ReadonlySet<string>, items: readonly Failure[]): Set<string> =>
  new Set(items.map((i) => i.task.messageSid).filter((sid) => selected.has(sid)));

/** The select-all box: checked when all are selected, mixed when some are. */
export function selectAllState(selected: ReadonlySet<string>, items: readonly Failure[]): 'all' | 'some' | 'none' {
  const count = items.filter((i) => selected.has(i.task.messageSid)).length;
  if (count === 0) return 'none';
  return count === items.length ? 'all' : 'some';
}

const WORDS: Record<RetryAnswer['status'], string> = {
  retried: 'retried',
  not_waiting: 'not waiting for a retry (already working, done or closed)',
  not_found: 'not found',
};

/** One line per task of POST /api/tasks/retry's answer: "SM…: retried (round 0)". */
export function describeRetry(answer: RetryAnswer): string {
  const round = answer.status === 'retried' && answer.round !== undefined ? ` (failed round ${answer.round})` : '';
  return `${answer.messageSid}: ${WORDS[answer.status]}${round}`;
}

/** "2 retried, 1 not waiting": the batch in a few words. */
export function summarizeRetry(answers: readonly RetryAnswer[]): string {
  const counts = new Map<RetryAnswer['status'], number>();
  for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
  const parts = (['retried', 'not_waiting', 'not_found'] as const)
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s.replace('_', ' ')}`);
  return parts.length ? parts.join(', ') : 'nothing retried';
}
