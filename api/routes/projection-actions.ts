import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PROJECTION_NAMES } from '../../projections/registry.js';
import { rebuildReadModels } from '../../projections/runtime/rebuild.js';
import { actionContext, appendAction, optionalBody } from '../actions/append-action.js';
import { ConflictError, NotFoundError } from '../plugins/error-handler.js';
import { ACTION_ERRORS, ActionError } from '../schemas/actions.js';
import {
  ProjectionParams,
  RebuildBody,
  RebuildParams,
  type RebuildStatus,
  RebuildStatus as RebuildStatusSchema,
} from '../schemas/projection-actions.js';

/** Finished rebuilds kept for their status (in this process only). */
const KEEP_FINISHED = 20;

/**
 * `POST /api/projections/:name/rebuild` runs the CLI's rebuild (projections/runtime/rebuild.ts) in
 * the background of this process, one at a time; `GET /api/projections/rebuilds/:id` tells how it
 * went. The rebuild's own advisory lock still stops two processes (or the CLI) rebuilding at once:
 * the second one's status says so.
 */
const projectionActions: FastifyPluginAsyncTypebox = async (app) => {
  const admin = app.requireRole(['admin']);
  const rebuilds = new Map<string, RebuildStatus>();
  let running: Promise<void> | undefined;
  // Closing waits for a running rebuild: stopping halfway leaves only a fresh schema to drop.
  app.addHook('onClose', async () => {
    await running;
  });

  app.post(
    '/api/projections/:name/rebuild',
    {
      onRequest: admin,
      preValidation: optionalBody,
      schema: {
        tags: ['projections'],
        params: ProjectionParams,
        body: RebuildBody,
        response: { 202: RebuildStatusSchema, ...ACTION_ERRORS, 404: ActionError, 409: ActionError },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      if (name !== 'all' && !PROJECTION_NAMES.includes(name)) {
        throw new NotFoundError(`No projection ${name} (known: ${PROJECTION_NAMES.join(', ')}, or all)`);
      }
      if (running) throw new ConflictError('A rebuild is already running');
      const databaseUrl = app.pg.options.connectionString;
      if (!databaseUrl) throw new Error('rebuild: the API pool has no connection string');
      const context = actionContext(request, request.body?.reason);
      const status: RebuildStatus = {
        id: randomUUID(),
        projections: name === 'all' ? [...PROJECTION_NAMES] : [name],
        state: 'running',
        requestedBy: context.actor.name,
        startedAt: context.now.toISOString(),
      };
      // Claimed before the append, so two requests at once cannot both start one.
      running = Promise.resolve();
      try {
        await appendAction(
          app.eventStore,
          `projection-${name}`,
          {
            id: status.id,
            type: 'ProjectionRebuildRequested',
            data: { rebuildId: status.id, projections: status.projections },
          },
          context,
        );
      } catch (error) {
        running = undefined;
        throw error;
      }
      remember(rebuilds, status);
      running = rebuildReadModels({
        databaseUrl,
        store: app.eventStore,
        only: status.projections,
        // The progress rows GET /api/projections shows carry the same id and actor.
        rebuildId: status.id,
        requestedBy: status.requestedBy,
        logger: app.log as Parameters<typeof rebuildReadModels>[0]['logger'],
      })
        .then((result) => {
          Object.assign(status, {
            state: 'succeeded',
            events: result.events,
            copied: result.copied,
            durationMs: Math.round(result.durationMs),
          });
        })
        .catch((error: Error) => {
          app.log.error({ err: error, rebuild: status.id }, 'projection rebuild failed');
          Object.assign(status, { state: 'failed', error: error.message });
        })
        .finally(() => {
          status.finishedAt = new Date().toISOString();
          running = undefined;
        });
      return reply.status(202).header('location', `/api/projections/rebuilds/${status.id}`).send(status);
    },
  );

  app.get(
    '/api/projections/rebuilds/:id',
    {
      onRequest: admin,
      schema: {
        tags: ['projections'],
        params: RebuildParams,
        response: { 200: RebuildStatusSchema, ...ACTION_ERRORS, 404: ActionError },
      },
    },
    async (request) => {
      const status = rebuilds.get(request.params.id);
      if (!status) throw new NotFoundError(`No rebuild ${request.params.id} in this API process`);
      return status;
    },
  );
};

export default projectionActions;

function remember(rebuilds: Map<string, RebuildStatus>, status: RebuildStatus): void {
  rebuilds.set(status.id, status);
  const finished = [...rebuilds.values()].filter((s) => s.state !== 'running');
  for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) rebuilds.delete(old.id);
}
