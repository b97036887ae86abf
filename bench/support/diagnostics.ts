import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Pool } from '../../infra/db.js';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

/**
 * Where a run waits, sampled once a second: the task queue's backlog on the Temporal server (tasks
 * no worker has taken yet: a growing activity backlog means the worker is short of slots, pollers
 * or CPU; an empty one with low throughput points at the server), and PostgreSQL backends busy
 * per application (a pool pinned at its maximum is too small).
 */
export interface Diagnostics {
  workflowBacklogMax: number;
  activityBacklogMax: number;
  /** Oldest waiting task seen, seconds. */
  backlogAgeMaxSeconds: number;
  /** Most backends in state active (or idle in transaction) at once, per application_name. */
  busyConnectionsMax: Record<string, number>;
}

export function sampleDiagnostics(client: Client, taskQueue: string, pool: Pool, intervalMs = 1_000) {
  const d: Diagnostics = {
    workflowBacklogMax: 0,
    activityBacklogMax: 0,
    backlogAgeMaxSeconds: 0,
    busyConnectionsMax: {},
  };
  const backlog = async (type: number) => {
    const r = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: type,
      reportStats: true,
    });
    const age = r.stats?.approximateBacklogAge;
    d.backlogAgeMaxSeconds = Math.max(d.backlogAgeMaxSeconds, Number(age?.seconds ?? 0) + (age?.nanos ?? 0) / 1e9);
    return Number(r.stats?.approximateBacklogCount ?? 0);
  };
  const sample = async () => {
    const [wf, act, busy] = await Promise.all([
      backlog(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
      backlog(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
      pool.query<{ app: string; n: number }>(
        `SELECT application_name AS app, count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND state IN ('active', 'idle in transaction') AND pid <> pg_backend_pid()
         GROUP BY 1`,
      ),
    ]);
    d.workflowBacklogMax = Math.max(d.workflowBacklogMax, wf);
    d.activityBacklogMax = Math.max(d.activityBacklogMax, act);
    for (const { app, n } of busy.rows) d.busyConnectionsMax[app] = Math.max(d.busyConnectionsMax[app] ?? 0, n);
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      await sample().catch(() => {});
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
    }
  })();
  return {
    async stop(): Promise<Diagnostics> {
      running = false;
      await loop;
      return d;
    },
  };
}
