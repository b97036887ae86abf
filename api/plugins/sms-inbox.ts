import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from '../../infra/logger.js';
import { singleAttemptClient } from '../../infra/temporal-single-attempt.js';
import { inboxMetrics } from '../inbox/metrics.js';
import { InboxStarter, type InboxStarterOptions, SMS_INBOX } from '../inbox/starter.js';

export interface SmsInboxOptions {
  taskQueue: string;
  /** The app database's URL (the starter's advisory lock needs a session of its own); default: the pool's. */
  databaseUrl?: string;
  /** false: accept SMS but start no workflows here (another replica or process does). Default true. */
  enabled?: boolean;
  logger?: Logger;
  tuning?: Pick<
    InboxStarterOptions,
    'concurrency' | 'lockPollMs' | 'retryDelayMs' | 'maxRetryDelayMs' | 'startTimeoutMs'
  >;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The SMS inbox starter (undefined when disabled): starts a workflow per SmsReceived. */
    smsInbox: InboxStarter | undefined;
  }
}

/**
 * Runs the SMS inbox starter while the app runs: from `ready` (listen) to `close`. The webhooks
 * only append SmsReceived; this starts the workflows, in whichever replica holds the lock.
 */
export default fp(
  async (app: FastifyInstance, options: SmsInboxOptions) => {
    const databaseUrl = options.databaseUrl ?? app.pg.options.connectionString;
    const enabled = options.enabled ?? true;
    if (enabled && !databaseUrl) throw new Error('sms-inbox: no database URL for the starter lock');
    let starter: InboxStarter | undefined;
    const hooks = inboxMetrics(app.metrics, {
      store: app.eventStore,
      pool: app.pg,
      name: SMS_INBOX,
      stats: () => starter?.stats(),
    });
    if (enabled && databaseUrl) {
      // The starter retries each start itself, with backoff, until it succeeds; the SDK's own
      // retries under it would only outlive an aborted start (infra/temporal-single-attempt.ts).
      const temporal = singleAttemptClient(app.temporal);
      starter = new InboxStarter({
        store: app.eventStore,
        pool: app.pg,
        databaseUrl,
        temporal: temporal.client,
        taskQueue: options.taskQueue,
        logger: options.logger?.child({ component: 'sms-inbox' }),
        hooks,
        ...options.tuning,
      });
      app.addHook('onReady', async () => starter?.start());
      app.addHook('onClose', async () => {
        await starter?.stop();
        await temporal.close();
      });
    }
    app.decorate('smsInbox', starter);
  },
  { name: 'sms-inbox', dependencies: ['temporal', 'event-store', 'postgres', 'metrics'] },
);
