import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { eventId, smsStream } from '../../domain/events/envelope.js';
import { type RetryRequest, type SmsTaskStatus, workflowIdFor } from '../../workflows/types.js';
import { type ActionContext, actionContext, appendAction, optionalBody } from '../actions/append-action.js';
import { ConflictError, NotFoundError } from '../plugins/error-handler.js';
import { ACTION_ERRORS, ActionError } from '../schemas/actions.js';
import {
  BatchRetryBody,
  BatchRetryResponse,
  RetryBody,
  type RetryResult,
  RetryResult as RetryResultSchema,
  TaskParams,
} from '../schemas/task-actions.js';

// The workflow's signal and query by name (workflows/sms-task.ts): the API loads no workflow code.
const RETRY_SIGNAL = 'retry';
const STATUS_QUERY = 'status';

/**
 * Ops retry failed tasks: the workflow's `retry` signal, sent only to a task waiting in
 * NEEDS_ATTENTION. The API records TaskRetrySignalled (who, why) on the task's stream first, with
 * an id fixed by the failed round, so two clicks on one failure record it once.
 */
const taskActions: FastifyPluginAsyncTypebox = async (app) => {
  const staff = app.requireRole(['admin', 'ops']);

  app.post(
    '/api/tasks/:messageSid/retry',
    {
      onRequest: staff,
      preValidation: optionalBody,
      schema: {
        tags: ['tasks'],
        params: TaskParams,
        body: RetryBody,
        response: { 200: RetryResultSchema, ...ACTION_ERRORS, 404: ActionError, 409: ActionError },
      },
    },
    async (request) => {
      const { messageSid } = request.params;
      const result = await retryTask(app, messageSid, actionContext(request, request.body?.reason));
      if (result.status === 'not_found') throw new NotFoundError(`No task ${messageSid}`);
      if (result.status === 'not_waiting') throw new ConflictError(`Task ${messageSid} is not waiting for a retry`);
      return result;
    },
  );

  app.post(
    '/api/tasks/retry',
    {
      onRequest: staff,
      schema: { tags: ['tasks'], body: BatchRetryBody, response: { 200: BatchRetryResponse, ...ACTION_ERRORS } },
    },
    async (request) => {
      const context = actionContext(request, request.body.reason);
      // One at a time: a batch is at most 100 tasks, and Temporal is shared with the workers.
      const results: RetryResult[] = [];
      for (const messageSid of request.body.messageSids) results.push(await retryTask(app, messageSid, context));
      return { results };
    },
  );
};

export default taskActions;

async function retryTask(app: FastifyInstance, messageSid: string, context: ActionContext): Promise<RetryResult> {
  const workflowId = workflowIdFor(messageSid);
  const handle = app.temporal.workflow.getHandle(workflowId);
  let status: SmsTaskStatus;
  try {
    // A closed run is never waiting; asking first spares a query that would replay its history.
    const { status: run } = await handle.describe();
    if (run.name !== 'RUNNING') return { messageSid, status: 'not_waiting' };
    status = await handle.query<SmsTaskStatus>(STATUS_QUERY);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { messageSid, status: 'not_found' };
    throw error;
  }
  if (status.step !== 'needs_attention') return { messageSid, status: 'not_waiting' };
  await appendAction(
    app.eventStore,
    smsStream(messageSid),
    { id: eventId(workflowId, 'api/retry', status.round), type: 'TaskRetrySignalled', data: { round: status.round } },
    context,
  );
  try {
    await handle.signal<[RetryRequest]>(RETRY_SIGNAL, { requestedBy: context.actor.name });
  } catch (error) {
    // Closed between the query and the signal (its retry window ended).
    if (error instanceof WorkflowNotFoundError) return { messageSid, status: 'not_waiting' };
    throw error;
  }
  return { messageSid, status: 'retried', round: status.round };
}
