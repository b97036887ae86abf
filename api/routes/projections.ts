import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import { READ_MODELS } from '../../projections/registry.js';
import { readCheckpoints } from '../../projections/runtime/checkpoints.js';
import { filterFor } from '../../projections/runtime/events.js';
import { measureLag } from '../../projections/runtime/lag.js';
import { rebuildLockKey } from '../../projections/runtime/rebuild.js';
import {
  advisoryLockHeld,
  type RebuildProgressRow,
  readRebuildProgress,
} from '../../projections/runtime/rebuild-progress.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import { IsoTime, Nullable } from '../../projections/shared/view.js';
import { readResponses, STAFF_SECURITY } from '../schemas/common.js';
import { ProjectionStatus } from '../schemas/projections.js';

/** A projection's rebuild, from the progress rows the rebuild writes (projection_rebuilds). */
const RebuildProgress = Type.Object({
  /** idle: none running and the last one (if any) succeeded; failed: the last one failed. */
  state: Type.Union([Type.Literal('idle'), Type.Literal('rebuilding'), Type.Literal('failed')]),
  rebuildId: Nullable(Type.String()),
  eventsReplayed: Type.Integer(),
  /** Estimated at the start: the live projection's events processed plus its lag. */
  eventsTotal: Type.Integer(),
  /** 0-100; stays below 100 until the rebuild has swapped its tables in. */
  percent: Type.Number(),
  startedAt: Nullable(IsoTime),
  startedBy: Nullable(Type.String()),
  /** The last finished rebuild of this projection. */
  last: Nullable(
    Type.Object({
      rebuildId: Type.String(),
      outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
      finishedAt: IsoTime,
      error: Nullable(Type.String()),
      eventsReplayed: Type.Integer(),
    }),
  ),
});
type RebuildProgress = Static<typeof RebuildProgress>;

const ProjectionListWithRebuilds = Type.Object({
  schema: Type.String(),
  projections: Type.Array(Type.Composite([ProjectionStatus, Type.Object({ rebuild: RebuildProgress })])),
});

const ABANDONED = 'abandoned: the process running this rebuild stopped before it finished';

function rebuildView(entry?: { latest: RebuildProgressRow; lastFinished: RebuildProgressRow | null }): RebuildProgress {
  const latest = entry?.latest;
  const last = entry?.lastFinished;
  const running = latest?.state === 'rebuilding';
  const shown = running ? latest : last;
  const percent = !shown
    ? 0
    : shown.state === 'succeeded'
      ? 100
      : Math.min(99.9, Math.round((1000 * shown.eventsReplayed) / Math.max(1, shown.eventsTotal)) / 10);
  return {
    state: running ? 'rebuilding' : latest?.state === 'failed' ? 'failed' : 'idle',
    rebuildId: shown?.rebuildId ?? null,
    eventsReplayed: shown?.eventsReplayed ?? 0,
    eventsTotal: shown?.eventsTotal ?? 0,
    percent,
    startedAt: shown?.startedAt ?? null,
    startedBy: shown?.startedBy ?? null,
    last:
      last?.finishedAt && last.state !== 'rebuilding'
        ? {
            rebuildId: last.rebuildId,
            outcome: last.state,
            finishedAt: last.finishedAt,
            error: last.error,
            eventsReplayed: last.eventsReplayed,
          }
        : null,
  };
}

/**
 * The API does not run the projectors, so it reports what the database and the log say (as
 * `sms-agent projections status` and /metrics do): checkpoint, events processed and lag.
 */
const projections: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/projections',
    {
      onRequest: app.requireRole(['admin', 'ops', 'analyst']),
      schema: {
        summary:
          "Each read model: checkpoint, events processed, lag (events, seconds), state, and its rebuild's progress",
        tags: ['projections'],
        security: STAFF_SECURITY,
        response: readResponses(ProjectionListWithRebuilds),
      },
    },
    async () => {
      const [checkpoints, rebuilds] = await Promise.all([
        readCheckpoints(app.pg, READ_MODEL_SCHEMA),
        readRebuildProgress(app.pg, READ_MODEL_SCHEMA),
      ]);
      const rows = new Map(checkpoints.map((r) => [r.name, r]));
      // A row left "rebuilding" by a process that died mid-way: no session holds the rebuild lock.
      const running = [...rebuilds.values()].filter((r) => r.latest.state === 'rebuilding');
      if (running.length > 0 && !(await advisoryLockHeld(app.pg, rebuildLockKey(READ_MODEL_SCHEMA)))) {
        for (const entry of running) {
          entry.latest = { ...entry.latest, state: 'failed', error: ABANDONED, finishedAt: entry.latest.updatedAt };
          entry.lastFinished = entry.latest;
        }
      }
      const list = await Promise.all(
        READ_MODELS.map(async (model) => {
          const row = rows.get(model.name);
          const lag = await measureLag(app.eventStore, row?.checkpoint ?? null, filterFor(model));
          const state = !row?.checkpoint && lag.events > 0 ? 'not_started' : lag.events > 0 ? 'behind' : 'caught_up';
          return {
            name: model.name,
            state: state as 'not_started' | 'behind' | 'caught_up',
            checkpoint: row?.checkpoint ?? null,
            eventsProcessed: row?.eventsProcessed ?? 0,
            lagEvents: lag.events,
            lagEventsCapped: lag.capped,
            lagSeconds: Math.round(lag.seconds * 10) / 10,
            lastEventAt: row?.lastEventAt ?? null,
            updatedAt: row?.updatedAt ?? null,
            rebuild: rebuildView(rebuilds.get(model.name)),
          };
        }),
      );
      return { schema: READ_MODEL_SCHEMA, projections: list };
    },
  );
};

export default projections;
