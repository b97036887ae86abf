import { type Static, Type } from '@sinclair/typebox';
import { Reason } from './actions.js';

export const ProjectionParams = Type.Object({
  name: Type.String({ pattern: '^[a-z_]{1,63}$', description: 'a projection name, or `all`' }),
});
export const RebuildBody = Type.Object({ reason: Reason }, { additionalProperties: false });
export const RebuildParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** One rebuild asked for through the API, as this API process runs it. */
export const RebuildStatus = Type.Object({
  id: Type.String(),
  projections: Type.Array(Type.String()),
  state: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
  requestedBy: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** Events replayed per rebuilt projection, once done. */
  events: Type.Optional(Type.Record(Type.String(), Type.Integer())),
  /** Projections copied as they were. */
  copied: Type.Optional(Type.Array(Type.String())),
  durationMs: Type.Optional(Type.Number()),
  error: Type.Optional(Type.String()),
});
export type RebuildStatus = Static<typeof RebuildStatus>;
