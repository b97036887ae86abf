import { Type } from '@sinclair/typebox';
import { IsoTime, Nullable } from '../../projections/shared/view.js';

export const ProjectionStatus = Type.Object({
  name: Type.String(),
  /** not_started: no checkpoint yet; caught_up: nothing left to apply; behind: events waiting. */
  state: Type.Union([Type.Literal('not_started'), Type.Literal('caught_up'), Type.Literal('behind')]),
  checkpoint: Nullable(Type.String()),
  eventsProcessed: Type.Integer(),
  lagEvents: Type.Integer(),
  /** True when lagEvents stopped counting at its cap. */
  lagEventsCapped: Type.Boolean(),
  lagSeconds: Type.Number(),
  lastEventAt: Nullable(IsoTime),
  updatedAt: Nullable(IsoTime),
});

export const ProjectionList = Type.Object({ schema: Type.String(), projections: Type.Array(ProjectionStatus) });
