/**
 * Read models: projections of the event log into PostgreSQL (see README.md).
 *   migrateReadModels     create/upgrade the read-model schema (the `migrate` command)
 *   startProjectors       run every projection (the `projector` role)
 *   createReadModelQueries  what the API reads
 *   rebuildReadModels     replay the log into fresh tables and swap them in
 */

export * from './daily-stats/queries.js';
export * from './error-logs/queries.js';
export * from './messages/queries.js';
export { migrateReadModels } from './migrate.js';
export { createReadModelQueries, type ReadModelQueries } from './queries.js';
export { PROJECTION_NAMES, READ_MODELS, readModelsNamed } from './registry.js';
export { type CheckpointRow, readCheckpoints } from './runtime/checkpoints.js';
export { type Lag, measureLag } from './runtime/lag.js';
export { Projector, type ProjectorOptions, type ProjectorStats } from './runtime/projector.js';
export { type RebuildOptions, type RebuildResult, rebuildReadModels } from './runtime/rebuild.js';
export { type RunningProjectors, startProjectors } from './runtime/start.js';
export type { ProjectionEvent, ReadModel } from './runtime/types.js';
export { READ_MODEL_SCHEMA } from './shared/sql.js';
export { InvalidCursorError, type PageOf } from './shared/view.js';
export * from './tasks/queries.js';
export * from './users/queries.js';
