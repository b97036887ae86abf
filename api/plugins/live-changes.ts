import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import pgListen, { type Subscriber } from 'pg-listen';
import { createReadModelQueries } from '../../projections/queries.js';
import { CHANGES_CHANNEL, type ChangeNotice } from '../../projections/runtime/change-notices.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import { taskId } from '../../projections/tasks/handler.js';
import type { FailedTaskView, TaskView } from '../../projections/tasks/queries.js';

// pg-listen is CommonJS with `exports.default`; Node's ESM import hands over the exports object.
const createSubscriber = pgListen.default;

/** A failure that no longer waits for an operator (retried, completed, resolved). */
export interface ResolvedFailure {
  id: string;
  messageSid: string;
  resolved: true;
}

/** What live clients get: rows as the REST routes list them, or "reload" after a rebuild or a gap. */
export type LiveChange =
  | { event: 'task'; data: TaskView }
  | { event: 'failure'; data: FailedTaskView | ResolvedFailure }
  | { event: 'reset'; data: { model: string } };

export interface LiveChanges {
  /** Calls `listener` with every change until the returned function is called. */
  subscribe(listener: (change: LiveChange) => void): () => void;
  /** True while the LISTEN connection is up. */
  readonly listening: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    liveChanges: LiveChanges;
  }
}

export interface LiveChangesOptions {
  /** The read models' database; the API pool's own when absent. */
  databaseUrl?: string;
  schema?: string;
  /** Notifications arriving within this window are read and sent together. */
  coalesceMs?: number;
  /** More changed rows than this in one window (a projector catching up): send `reset` instead. */
  maxRowsPerFlush?: number;
}

/** Both read models a live page follows; a gap in listening means both may have changed. */
const FOLLOWED = ['tasks', 'error_logs'];

/**
 * One LISTEN connection per API process on the channel the tasks and error_logs projections
 * notify in their batch transactions (so only committed changes arrive, from any projector
 * process). Notifications are coalesced for ~100 ms, the changed rows are read with the REST
 * routes' queries, and every subscriber (each open /api/stream) gets them. pg-listen reconnects
 * with backoff and re-LISTENs; since notifications sent meanwhile are lost, a reconnect is
 * followed by `reset` frames so clients reload.
 */
export default fp(
  async (app: FastifyInstance, options: LiveChangesOptions) => {
    const schema = options.schema ?? READ_MODEL_SCHEMA;
    const coalesceMs = options.coalesceMs ?? 100;
    const maxRows = options.maxRowsPerFlush ?? 500;
    const databaseUrl = options.databaseUrl ?? app.pg.options.connectionString;
    if (!databaseUrl) throw new Error('live-changes: no database URL (the API pool has no connection string)');
    const queries = createReadModelQueries(app.pg, { schema });
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    const emit = (change: LiveChange) => emitter.emit('change', change);

    const pending = { tasks: new Set<string>(), failures: new Set<string>() };
    let timer: NodeJS.Timeout | undefined;
    let flushing: Promise<void> | undefined;
    let closed = false;
    const closing = new AbortController();
    let listening = false;

    async function flush(): Promise<void> {
      timer = undefined;
      const taskSids = [...pending.tasks];
      const failureSids = [...pending.failures];
      pending.tasks.clear();
      pending.failures.clear();
      if (emitter.listenerCount('change') === 0) return;
      // A catch-up burst: reading and sending every row would cost more than the clients' reload.
      const tooMany = (sids: string[], model: string) => {
        if (sids.length <= maxRows) return false;
        emit({ event: 'reset', data: { model } });
        return true;
      };
      const readTasks = tooMany(taskSids, 'tasks') ? [] : taskSids;
      const readFailures = tooMany(failureSids, 'error_logs') ? [] : failureSids;
      try {
        const [tasks, failed] = await Promise.all([
          queries.getTasksBySid(readTasks),
          queries.getFailedTasksBySid(readFailures),
        ]);
        for (const task of tasks) emit({ event: 'task', data: task });
        const waiting = new Map(failed.map((f) => [f.task.messageSid, f]));
        for (const sid of readFailures) {
          emit({ event: 'failure', data: waiting.get(sid) ?? { id: taskId(sid), messageSid: sid, resolved: true } });
        }
      } catch (error) {
        // The changes are lost for the clients: tell them to reload rather than leave them stale.
        app.log.warn({ err: error }, 'live changes: could not read the changed rows; clients reload');
        for (const model of FOLLOWED) emit({ event: 'reset', data: { model } });
      }
    }

    function schedule() {
      if (timer || closed) return;
      timer = setTimeout(() => {
        flushing = flush().finally(() => {
          flushing = undefined;
        });
      }, coalesceMs);
    }

    function onNotice(notice: ChangeNotice) {
      if (!notice || notice.schema !== schema || !FOLLOWED.includes(notice.model)) return;
      if ('rebuilt' in notice) {
        emit({ event: 'reset', data: { model: notice.model } });
        return;
      }
      for (const sid of notice.ids.tasks ?? []) pending.tasks.add(sid);
      for (const sid of notice.ids.failures ?? []) pending.failures.add(sid);
      schedule();
    }

    let connectedOnce = false;
    function createListener(): Subscriber<{ [CHANGES_CHANNEL]: ChangeNotice }> {
      const subscriber: Subscriber<{ [CHANGES_CHANNEL]: ChangeNotice }> = createSubscriber(
        { connectionString: databaseUrl, application_name: 'sms-agent api live-changes', keepAlive: true },
        {
          // Retry for ever, with backoff: 0.5 s doubling up to 30 s. retryTimeout 0 means no deadline.
          retryInterval: (attempt) => Math.min(500 * 2 ** attempt, 30_000),
          retryLimit: Number.POSITIVE_INFINITY,
          retryTimeout: 0,
          paranoidChecking: 10_000,
          parse: (text) => {
            try {
              return JSON.parse(text);
            } catch {
              return undefined;
            }
          },
        },
      );
      subscriber.notifications.on(CHANGES_CHANNEL, onNotice);
      subscriber.events.on('error', (error) => {
        listening = false;
        app.log.error({ err: error }, 'live changes: LISTEN connection failed');
      });
      subscriber.events.on('reconnect', (attempt) => {
        listening = false;
        app.log.warn({ attempt }, 'live changes: LISTEN connection lost; reconnecting');
      });
      subscriber.events.on('connected', () => {
        listening = true;
        if (connectedOnce) {
          app.log.info('live changes: LISTEN connection back; clients reload');
          for (const model of FOLLOWED) emit({ event: 'reset', data: { model } });
        }
        connectedOnce = true;
      });
      return subscriber;
    }

    // The first connection is retried here (a pg client cannot connect twice, so each try is a
    // fresh listener); once up, pg-listen handles reconnecting.
    let subscriber: Subscriber<{ [CHANGES_CHANNEL]: ChangeNotice }> | undefined;
    async function connectFirst(): Promise<void> {
      for (let attempt = 0; !closed; attempt++) {
        const candidate = createListener();
        try {
          await candidate.connect();
          await candidate.listenTo(CHANGES_CHANNEL);
          subscriber = candidate;
          if (closed) await candidate.close().catch(() => {});
          return;
        } catch (error) {
          await candidate.close().catch(() => {});
          app.log.warn({ err: error, attempt }, 'live changes: cannot LISTEN yet; retrying');
          await sleep(Math.min(500 * 2 ** attempt, 30_000), undefined, { signal: closing.signal }).catch(() => {});
        }
      }
    }
    void connectFirst();

    app.decorate('liveChanges', {
      subscribe(listener: (change: LiveChange) => void) {
        emitter.on('change', listener);
        return () => emitter.off('change', listener);
      },
      get listening() {
        return listening;
      },
    } satisfies LiveChanges);

    app.addHook('onClose', async () => {
      closed = true;
      closing.abort();
      if (timer) clearTimeout(timer);
      await flushing;
      await subscriber?.close().catch(() => {});
      emitter.removeAllListeners();
    });
  },
  { name: 'live-changes', dependencies: ['postgres'] },
);
