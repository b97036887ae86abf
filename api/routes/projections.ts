import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { READ_MODELS } from '../../projections/registry.js';
import { readCheckpoints } from '../../projections/runtime/checkpoints.js';
import { filterFor } from '../../projections/runtime/events.js';
import { measureLag } from '../../projections/runtime/lag.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import { readResponses, STAFF_SECURITY } from '../schemas/common.js';
import { ProjectionList } from '../schemas/projections.js';

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
        summary: 'Each read model: checkpoint, events processed, lag (events, seconds) and state',
        tags: ['projections'],
        security: STAFF_SECURITY,
        response: readResponses(ProjectionList),
      },
    },
    async () => {
      const rows = new Map((await readCheckpoints(app.pg, READ_MODEL_SCHEMA)).map((r) => [r.name, r]));
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
          };
        }),
      );
      return { schema: READ_MODEL_SCHEMA, projections: list };
    },
  );
};

export default projections;
