import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { eventId, smsStream } from '../../domain/events/envelope.js';
import { createReadModelQueries } from '../../projections/queries.js';
import { workflowIdFor } from '../../workflows/types.js';
import { actionContext, appendAction, optionalBody } from '../actions/append-action.js';
import { ConflictError, NotFoundError } from '../plugins/error-handler.js';
import { ACTION_ERRORS, ActionError, ReasonBody } from '../schemas/actions.js';
import { ErrorParams, ResolveResponse } from '../schemas/error-actions.js';

/**
 * Ops close an error by hand (say, the person was answered another way): ErrorResolved on the
 * task's stream, projected into error_logs. Its id is fixed by the error, so resolving twice
 * before the projector catches up records it once.
 */
const errorActions: FastifyPluginAsyncTypebox = async (app) => {
  const readModels = createReadModelQueries(app.pg);

  app.post(
    '/api/errors/:id/resolve',
    {
      onRequest: app.requireRole(['admin', 'ops']),
      preValidation: optionalBody,
      schema: {
        tags: ['failures'],
        params: ErrorParams,
        body: ReasonBody,
        response: { 200: ResolveResponse, ...ACTION_ERRORS, 404: ActionError, 409: ActionError },
      },
    },
    async (request) => {
      const error = await readModels.getError(request.params.id);
      if (!error) throw new NotFoundError(`No error ${request.params.id}`);
      if (error.resolved) throw new ConflictError(`Error ${error.id} is already resolved`);
      const sid = error.taskMessageSid;
      await appendAction(
        app.eventStore,
        smsStream(sid),
        {
          id: eventId(workflowIdFor(sid), `api/resolve/${error.id}`),
          type: 'ErrorResolved',
          data: { errorId: error.id },
        },
        actionContext(request, request.body?.reason),
      );
      return { id: error.id, taskMessageSid: sid, resolved: true };
    },
  );
};

export default errorActions;
