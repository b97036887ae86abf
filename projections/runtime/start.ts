import type pg from 'pg';
import type { EventStore } from '../../eventstore/port.js';
import type { Logger } from '../../infra/logger.js';
import { readModelsNamed } from '../registry.js';
import { Projector, type ProjectorOptions, type ProjectorStats } from './projector.js';

export interface RunningProjectors {
  projectors: Projector[];
  stats(): Promise<ProjectorStats[]>;
  /** True when every projection has applied every event it handles. */
  caughtUp(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Starts one projector per read model (the `sms-agent projector` role). Each takes its own
 * advisory lock, so running this in two processes gives one active instance per projection and
 * a standby that takes over. Run migrateReadModels first.
 */
export function startProjectors(options: {
  store: EventStore;
  databaseUrl: string;
  schema?: string;
  /** Projection names; all by default. */
  only?: string[];
  pool?: pg.Pool;
  logger?: Logger;
  tuning?: Pick<ProjectorOptions, 'batchSize' | 'lingerMs' | 'lockPollMs' | 'retryDelayMs'>;
  hooks?: ProjectorOptions['hooks'];
}): RunningProjectors {
  const projectors = readModelsNamed(options.only).map(
    (model) =>
      new Projector({
        store: options.store,
        databaseUrl: options.databaseUrl,
        model,
        schema: options.schema,
        pool: options.pool,
        logger: options.logger?.child({ projection: model.name }),
        hooks: options.hooks,
        ...options.tuning,
      }),
  );
  for (const projector of projectors) projector.start();
  return {
    projectors,
    stats: () => Promise.all(projectors.map((p) => p.stats())),
    async caughtUp() {
      return (await Promise.all(projectors.map((p) => p.caughtUp()))).every(Boolean);
    },
    async stop() {
      await Promise.all(projectors.map((p) => p.stop()));
    },
  };
}
