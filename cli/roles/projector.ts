import { createEventStore } from '../../eventstore/index.js';
import { createPool } from '../../infra/db.js';
import { READ_MODELS } from '../../projections/registry.js';
import { Projector, type ProjectorStats } from '../../projections/runtime/projector.js';
import type { RoleContext, RunningRole } from './role.js';

export interface RunningProjector extends RunningRole {
  stats(): Promise<ProjectorStats[]>;
}

/** One projector per read model (own checkpoint, own advisory lock), sharing one pool and store. */
export async function startProjector(ctx: RoleContext): Promise<RunningProjector> {
  const logger = ctx.logger.child({ role: 'projector' });
  const store = createEventStore({ url: ctx.config.EVENTSTORE_URL ?? ctx.databaseUrl, logger });
  const pool = createPool(ctx.databaseUrl, { max: READ_MODELS.length + 2, applicationName: 'sms-agent-projector' });
  const projectors = READ_MODELS.map(
    (model) => new Projector({ store, databaseUrl: ctx.databaseUrl, model, pool, logger }),
  );
  for (const p of projectors) p.start();
  return {
    name: 'projector',
    stats: () => Promise.all(projectors.map((p) => p.stats())),
    async stop() {
      await Promise.all(projectors.map((p) => p.stop()));
      await store.close();
      await pool.end();
    },
  };
}
