import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { smsTask } from '../../workflows/sms-task.js';
import { SMS_STATUS, type SmsTaskInput, workflowIdFor } from '../../workflows/types.js';

/**
 * gRPC channel arguments for the API's Temporal connection: after an outage gRPC waits up to
 * 120 s (its default) between reconnect attempts, so starts would resume up to two minutes after
 * Temporal is back; capped like the starter's own retries instead.
 */
export const TEMPORAL_RECONNECT_ARGS = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 5_000,
};

/**
 * `accepted`: Temporal started `sms-<MessageSid>` or attached to its running run (it does not
 * say which); `already_started`: a closed run exists and the reuse policy refused a second one.
 */
export type StartOutcome = 'accepted' | 'already_started';

/**
 * Starts `sms-<MessageSid>` once. Running: attach to it. Closed: refuse. Either way a repeated
 * start (a duplicate delivery, or the starter re-reading its log after a restart) starts nothing new.
 */
export async function startSmsTask(
  client: Client,
  taskQueue: string,
  input: SmsTaskInput,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<StartOutcome> {
  const start = () =>
    client.workflow.start<typeof smsTask>('smsTask', {
      workflowId: workflowIdFor(input.messageSid),
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // Set with the start, so the workflow need not upsert it (a history event and a visibility write).
      typedSearchAttributes: [{ key: SMS_STATUS, value: 'PROCESSING' }],
    });
  const bounded = () => (options.timeoutMs ? client.withDeadline(Date.now() + options.timeoutMs, start) : start());
  const { signal } = options;
  // The client adds an abort listener to the given signal for each gRPC call and never removes
  // it (@temporalio/client 1.24, Connection.generateRPCImplementation). The starter's signal lives
  // as long as the process: given it directly, every start left a listener holding its call, and
  // adding each listener scans the ones before it (the API's CPU grew with every SMS). So each
  // start gets a signal of its own, tied to the caller's for exactly as long as the start runs.
  const own = signal && new AbortController();
  const forward = () => own?.abort(signal?.reason);
  signal?.addEventListener('abort', forward, { once: true });
  try {
    if (signal?.aborted) forward();
    await (own ? client.withAbortSignal(own.signal, bounded) : bounded());
    return 'accepted';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already_started';
    throw error;
  } finally {
    signal?.removeEventListener('abort', forward);
  }
}
