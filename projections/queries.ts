import { dailyStatsQueries } from './daily-stats/queries.js';
import { errorLogQueries } from './error-logs/queries.js';
import { messageQueries } from './messages/queries.js';
import { type CheckpointRow, readCheckpoints } from './runtime/checkpoints.js';
import { assertSchemaName, type Queryable, READ_MODEL_SCHEMA } from './shared/sql.js';
import { taskQueries } from './tasks/queries.js';
import { userQueries } from './users/queries.js';

/**
 * Everything the API reads, bound to a pool (or client) and the read-model schema. Queries name
 * the schema in their SQL, so any pool works, and a rebuild's swap is picked up by the next query.
 */
export function createReadModelQueries(db: Queryable, options: { schema?: string } = {}) {
  const schema = assertSchemaName(options.schema ?? READ_MODEL_SCHEMA);
  return {
    ...taskQueries(db, schema),
    ...userQueries(db, schema),
    ...messageQueries(db, schema),
    ...errorLogQueries(db, schema),
    ...dailyStatsQueries(db, schema),
    /** The projections' checkpoint rows (for lag, ask the projector's stats() or the CLI). */
    projectionCheckpoints(): Promise<CheckpointRow[]> {
      return readCheckpoints(db, schema);
    },
  };
}

export type ReadModelQueries = ReturnType<typeof createReadModelQueries>;
