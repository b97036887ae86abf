/**
 * The ceiling worker, in a process of its own like the SMS worker: runs bench/support/empty-workflow.ts
 * on TASK_QUEUE against TEMPORAL_ADDRESS, with the SMS worker's concurrency settings.
 *
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 TASK_QUEUE=bench-empty node --import tsx bench/support/empty-worker.ts
 */
import path from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';

const address = process.env.TEMPORAL_ADDRESS;
const taskQueue = process.env.TASK_QUEUE;
if (!address || !taskQueue) throw new Error('TEMPORAL_ADDRESS and TASK_QUEUE are required');

const noop = () => {};
// Same bundling as cli/roles/workflow-bundle.ts: `./x.js` imports resolve to `./x.ts`.
const bundle = await bundleWorkflowCode({
  workflowsPath: path.resolve(import.meta.dirname, 'empty-workflow.ts'),
  logger: { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop },
  webpackConfigHook: (config) => {
    config.resolve = { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } };
    return config;
  },
});
const connection = await NativeConnection.connect({ address });
// The settings of cli/roles/worker.ts createSmsWorker, so the two workers differ only in their code.
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowBundle: bundle,
  activities: { noop: async () => {} },
  maxConcurrentActivityTaskExecutions: 500,
  maxConcurrentWorkflowTaskExecutions: 100,
  maxCachedWorkflows: 2_000,
  workflowTaskPollerBehavior: { type: 'autoscaling', maximum: 20 },
  activityTaskPollerBehavior: { type: 'autoscaling', maximum: 40 },
});
const stop = () => worker.shutdown();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
await worker.run();
await connection.close();
