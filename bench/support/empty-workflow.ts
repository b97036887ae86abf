import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

/**
 * Ceilings for the pipeline benchmark, run on the same Temporal server on a task queue of their
 * own: what the server does for a workflow that does nothing, for one of smsTask's shape with
 * nothing inside (for an answered SMS: the AI call as a remote activity, the quick steps in two
 * local activities), and for the same steps all remote (the shape before the quick steps
 * became local activities).
 */

export async function emptyWorkflow(): Promise<void> {}

export interface NoopActivities {
  noop(): Promise<void>;
}

const { noop } = proxyActivities<NoopActivities>({ startToCloseTimeout: '30 seconds' });
const local = proxyLocalActivities<NoopActivities>({ startToCloseTimeout: '30 seconds' });

export async function noopActivitiesWorkflow(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await noop();
}

/**
 * `remote` activities through the server's task queue, `locals` run inside the workflow task's
 * worker: half of the locals before the remote ones, the rest after, as in smsTask.
 */
export async function mixedActivitiesWorkflow(remote: number, locals: number): Promise<void> {
  const before = Math.ceil(locals / 2);
  for (let i = 0; i < before; i++) await local.noop();
  for (let i = 0; i < remote; i++) await noop();
  for (let i = before; i < locals; i++) await local.noop();
}
