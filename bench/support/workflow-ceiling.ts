import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { closedLoop, openLoop } from './load.js';
import { type Summary, summarize } from './stats.js';

export interface WorkflowCeiling {
  scenario: string;
  completed: number;
  failed: number;
  workflowsPerSecond: number;
  latencyMs: Summary;
}

let runId = 0;

/**
 * Starts workflows on the ceiling worker's task queue and waits for each result: the server's own
 * cost of a workflow (start, tasks, history, completion) with no work of ours inside.
 */
export async function measureWorkflowCeiling(
  client: Client,
  options: {
    taskQueue: string;
    scenario: string;
    workflowType: 'emptyWorkflow' | 'noopActivitiesWorkflow' | 'mixedActivitiesWorkflow';
    args: unknown[];
    load: { concurrency: number; seconds: number } | { rate: number; seconds: number };
  },
): Promise<WorkflowCeiling> {
  const latencies: number[] = [];
  let failed = 0;
  const tag = `${Date.now().toString(36)}-${runId++}`;
  const run = async (i: number, from: number) => {
    try {
      await client.workflow.execute(options.workflowType, {
        taskQueue: options.taskQueue,
        workflowId: `bench-${options.workflowType}-${tag}-${i}`,
        args: options.args,
      });
      latencies.push(performance.now() - from);
    } catch {
      failed++;
    }
  };
  const load = options.load;
  const { wallMs } =
    'rate' in load
      ? await openLoop(load.rate, load.seconds, run)
      : await closedLoop(load.concurrency, { seconds: load.seconds }, (i) => run(i, performance.now()));
  return {
    scenario: options.scenario,
    completed: latencies.length,
    failed,
    workflowsPerSecond: latencies.length / (wallMs / 1000),
    latencyMs: summarize(latencies),
  };
}
