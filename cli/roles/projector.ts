import { createEventStore } from '../../eventstore/index.js';
import { createPool, eventStoreTimeouts, pgTimeouts } from '../../infra/db.js';
import { READ_MODELS } from '../../projections/registry.js';
import type { ProjectorStats } from '../../projections/runtime/projector.js';
import { startProjectors } from '../../projections/runtime/start.js';
import type { RoleContext, RunningRole } from './role.js';

export interface RunningProjector extends RunningRole {
  stats(): Promise<ProjectorStats[]>;
}

/** One projector per read model (own checkpoint, own advisory lock), sharing one pool and store. */
export async function startProjector(ctx: RoleContext): Promise<RunningProjector> {
  const logger = ctx.logger.child({ role: 'projector' });
  const store = createEventStore({
    url: ctx.config.EVENTSTORE_URL ?? ctx.databaseUrl,
    logger,
    timeouts: eventStoreTimeouts(ctx.config),
  });
  const pool = createPool(ctx.databaseUrl, {
    max: READ_MODELS.length + 2,
    applicationName: 'sms-agent-projector',
    timeouts: pgTimeouts(ctx.config),
  });
  const running = startProjectors({
    store,
    databaseUrl: ctx.databaseUrl,
    pool,
    logger,
    tuning: { lingerMs: ctx.config.PROJECTOR_LINGER_MS },
  });
  return {
    name: 'projector',
    stats: running.stats,
    async stop() {
      await running.stop();
      await store.close();
      await pool.end();
    },
  };
}
