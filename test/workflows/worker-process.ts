/**
 * A worker in a process of its own, so a test can kill it with SIGKILL mid-task: a crash that no
 * graceful shutdown softens. Configured from the environment like the real worker, plus
 * WORKFLOW_BUNDLE_PATH (the run's bundle), CRASH_AFTER_SEND and CRASH_AFTER_SENT_RECORDED (below).
 * Prints "ready" once it polls.
 *
 *   node --import tsx test/workflows/worker-process.ts
 */
import { NativeConnection } from '@temporalio/worker';
import { buildActivityDeps, createSmsWorker } from '../../cli/roles/worker.js';
import { createEventStore } from '../../eventstore/index.js';
import { loadConfig } from '../../infra/config.js';
import { createLogger } from '../../infra/logger.js';
import { temporalDataConverter } from '../../infra/temporal-data-converter.js';
import { installTemporalRuntime } from '../../infra/temporal-runtime.js';

const config = loadConfig(process.env, '/nonexistent');
const logger = createLogger({ level: config.LOG_LEVEL });
const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS || !bundlePath) {
  throw new Error('DATABASE_URL, TEMPORAL_ADDRESS and WORKFLOW_BUNDLE_PATH are required');
}
installTemporalRuntime(logger); // before the first connection, which would install the default runtime
const store = createEventStore({ url: config.DATABASE_URL, logger });
// CRASH_AFTER_SENT_RECORDED=1: dies right after the append that records ReplySent (with the task's
// completion) commits, before the delivery's bookkeeping on the user stream.
if (process.env.CRASH_AFTER_SENT_RECORDED === '1') {
  const append = store.append.bind(store);
  store.append = async (stream, events, options) => {
    const result = await append(stream, events, options);
    if (events.some((e) => e.type === 'ReplySent')) process.kill(process.pid, 'SIGKILL');
    return result;
  };
}
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const deps = buildActivityDeps(config, logger, store);
// CRASH_AFTER_SEND=1: the worst moment to die. Twilio has accepted the reply (201) and the process
// is gone before ReplySent is appended.
if (process.env.CRASH_AFTER_SEND === '1') {
  const { sms } = deps;
  deps.sms = {
    ...sms,
    async send(message) {
      const result = await sms.send(message);
      process.kill(process.pid, 'SIGKILL');
      return result;
    },
  };
}
const worker = await createSmsWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  deps,
  workflowBundle: { codePath: bundlePath },
  maxConcurrentActivities: 10,
  dataConverter: temporalDataConverter(config, logger),
});
const running = worker.run();
process.stdout.write('ready\n');
await running;
