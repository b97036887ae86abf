import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

/**
 * Ceilings for the pipeline benchmark, run on the same Temporal server on a task queue of their
 * own: what the server does for a workflow that does nothing, for one with as many (empty)
 * activities as smsTask runs for an answered SMS, and for the same shape with the quick
 * event-store steps as local activities (what that change would buy).
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

/** `remote` activities through the server's task queue, `locals` run inside the workflow task's worker. */
export async function mixedActivitiesWorkflow(remote: number, locals: number): Promise<void> {
  for (let i = 0; i < locals; i++) await local.noop();
  for (let i = 0; i < remote; i++) await noop();
}
