import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createAiClient, describeAi } from '../../activities/ai-client.js';
import { createAlertSender, throttleAlerts } from '../../activities/alerts.js';
import { attemptCounting } from '../../activities/attempt-count.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { createActivities } from '../../activities/index.js';
import { createSmsProvider } from '../../activities/sms-provider.js';
import { createEventStore } from '../../eventstore/index.js';
import type { EventStore } from '../../eventstore/port.js';
import type { Config } from '../../infra/config.js';
import { createPool, eventStoreTimeouts, pgTimeouts } from '../../infra/db.js';
import type { Logger } from '../../infra/logger.js';
import { temporalDataConverter } from '../../infra/temporal-data-converter.js';
import { installTemporalRuntime } from '../../infra/temporal-runtime.js';
import type { Queryable } from '../../projections/shared/sql.js';
import type { RoleContext, RunningRole } from './role.js';
import { bundleWorkflows } from './workflow-bundle.js';

/** Builds the real activity dependencies from configuration. */
export function buildActivityDeps(
  config: Config,
  logger: Logger,
  store: EventStore,
  databaseUrl = config.DATABASE_URL,
): ActivityDeps {
  return {
    config,
    logger,
    store,
    readModels: databaseUrl === undefined ? undefined : lazyPool(databaseUrl, config),
    sms: createSmsProvider(config),
    ai: createAiClient(config),
    alerts: throttleAlerts(createAlertSender(config, logger), { logger }),
  };
}

export interface SmsWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  workflowBundle: WorkflowBundleOption;
  maxConcurrentActivities: number;
  /** Must match the clients' (infra/temporal-data-converter.ts): payloads are encrypted on the wire. */
  dataConverter: DataConverter;
}

/**
 * Tuned for hundreds of slow AI calls at once: activities are I/O bound (await fetch), so many
 * run concurrently in one process; workflow tasks are short and CPU bound.
 */
export function createSmsWorker(options: SmsWorkerOptions): Promise<Worker> {
  installTemporalRuntime(options.deps.logger);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle,
    dataConverter: options.dataConverter,
    activities: createActivities(options.deps),
    interceptors: { activity: [attemptCounting] },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: 100,
    // The quick steps are local activities (workflows/policies.ts): they run here, beside the
    // workflow tasks, a few milliseconds each.
    maxConcurrentLocalActivityExecutions: 200,
    maxCachedWorkflows: 2_000,
    workflowTaskPollerBehavior: { type: 'autoscaling', maximum: 20 },
    activityTaskPollerBehavior: { type: 'autoscaling', maximum: 40 },
    shutdownGraceTime: '10 seconds',
  });
}

export async function startWorker(ctx: RoleContext, bundle?: WorkflowBundleOption): Promise<RunningRole> {
  const logger = ctx.logger.child({ role: 'worker' });
  const dataConverter = temporalDataConverter(ctx.config, logger);
  const store = createEventStore({
    url: ctx.config.EVENTSTORE_URL ?? ctx.databaseUrl,
    logger,
    timeouts: eventStoreTimeouts(ctx.config),
  });
  installTemporalRuntime(logger);
  const connection = await NativeConnection.connect({ address: ctx.temporalAddress });
  const worker = await createSmsWorker({
    connection,
    namespace: ctx.config.TEMPORAL_NAMESPACE,
    taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
    deps: buildActivityDeps(ctx.config, logger, store, ctx.databaseUrl),
    workflowBundle: bundle ?? (await bundleWorkflows()),
    maxConcurrentActivities: ctx.config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    dataConverter,
  });
  logger.info(`AI: ${describeAi(ctx.config)}`);
  logger.info(
    ctx.config.OPENAI_FALLBACK_MODEL
      ? `AI fallback model: ${ctx.config.OPENAI_FALLBACK_MODEL} (not used for tasks whose model it already is)`
      : 'no AI fallback model (OPENAI_FALLBACK_MODEL is unset): a failing model is retried as itself',
  );
  const done = worker.run();
  return {
    name: 'worker',
    done: done.then(() => undefined),
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch((error) => logger.error({ err: error }, 'worker stopped with an error'));
      await connection.close();
      await store.close();
    },
  };
}

/**
 * The read models' pool, opened on first use: only a daily AI budget makes the worker read them
 * (activities/global-budget.ts), so a worker without one holds no extra connection.
 */
function lazyPool(url: string, config: Config): Queryable {
  let pool: ReturnType<typeof createPool> | undefined;
  return {
    query: (text, values) => {
      pool ??= createPool(url, { max: 2, applicationName: 'sms-agent-worker', timeouts: pgTimeouts(config) });
      return pool.query(text, values);
    },
  } as Queryable;
}
