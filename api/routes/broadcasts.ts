import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { asDomain, readStreamOrEmpty } from '../../activities/event-log.js';
import { audienceChunks, parsePhoneList } from '../../domain/broadcast/audience.js';
import { estimateBroadcast, secondsAt } from '../../domain/broadcast/estimate.js';
import { lifecycleFrom } from '../../domain/broadcast/recipient.js';
import { audienceStream, broadcastStream, broadcastWorkflowId } from '../../domain/broadcast/streams.js';
import { createEvent } from '../../domain/events/catalogue.js';
import { eventId } from '../../domain/events/envelope.js';
import { type ReplyDestinations, replyBlockedReason } from '../../domain/sms/sender.js';
import { WrongExpectedVersionError } from '../../eventstore/port.js';
import { type Config, replyDestinations } from '../../infra/config.js';
import { type BroadcastRow, broadcastQueries } from '../../projections/broadcasts/queries.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import type { BroadcastCancelRequest, BroadcastInput } from '../../workflows/types.js';
import { type ActionContext, actionContext, appendAction, optionalBody } from '../actions/append-action.js';
import { ConflictError, NotFoundError } from '../plugins/error-handler.js';
import { ACTION_ERRORS, ActionError } from '../schemas/actions.js';
import {
  BroadcastAccepted,
  BroadcastBadRequest,
  BroadcastBody,
  BroadcastList,
  BroadcastListQuery,
  BroadcastParams,
  BroadcastPlan,
  BroadcastQuery,
  BroadcastView,
  CancelBody,
  CancelResult,
  RecipientList,
  RecipientListQuery,
} from '../schemas/broadcasts.js';
import { readResponses, STAFF_SECURITY } from '../schemas/common.js';

export interface BroadcastRoutesOptions {
  taskQueue: string;
  ratePerSecond: number;
  destinations: ReplyDestinations;
}

export const broadcastRoutesOptions = (config: Config): BroadcastRoutesOptions => ({
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  ratePerSecond: config.BROADCAST_RATE_PER_SECOND,
  destinations: replyDestinations(config),
});

// The workflow's type, signal and query by name (workflows/broadcast.ts): the API loads no workflow code.
const WORKFLOW_TYPE = 'broadcast';
const CANCEL_SIGNAL = 'cancel';

/**
 * Broadcasts: an admin texts a tier or a list. The API resolves the audience once, lists it in the
 * log (`broadcast-<id>-audience`), records BroadcastStarted with the actor, and starts workflow
 * `broadcast-<id>`, which sends at BROADCAST_RATE_PER_SECOND. Progress comes from the read model.
 */
const broadcasts: FastifyPluginAsyncTypebox<BroadcastRoutesOptions> = async (app, options) => {
  const queries = broadcastQueries(app.pg, READ_MODEL_SCHEMA);
  const admin = app.requireRole(['admin']);
  const staff = app.requireRole(['admin', 'ops', 'analyst']);
  const { ratePerSecond } = options;

  const view = (row: BroadcastRow): BroadcastView => {
    const remaining = Math.max(0, row.total - row.sent - row.skipped - row.failed);
    return {
      ...row,
      remaining,
      estimatedSecondsLeft: row.state === 'sending' ? secondsAt(remaining, ratePerSecond) : 0,
    };
  };

  app.post(
    '/api/broadcasts',
    {
      onRequest: admin,
      // 10,000 numbers do not fit the API's 64 KiB default.
      bodyLimit: 512 * 1024,
      schema: {
        summary: 'Send a text to a tier or a list of numbers (202 with its id); ?dryRun=true answers the figures only',
        tags: ['broadcasts'],
        querystring: BroadcastQuery,
        body: BroadcastBody,
        response: { 200: BroadcastPlan, 202: BroadcastAccepted, ...ACTION_ERRORS, 400: BroadcastBadRequest },
      },
    },
    async (request, reply) => {
      const { text, audience } = request.body;
      const badRequest = (message: string, invalidPhones?: string[]) =>
        reply.status(400).send({
          error: 'Bad Request',
          code: 'VALIDATION_FAILED',
          message,
          statusCode: 400,
          ...(invalidPhones ? { invalidPhones } : {}),
        });
      if ('tier' in audience && 'phones' in audience)
        return badRequest('audience is either a tier or a list of phones');

      let phones: string[];
      let optedOut: Set<string>;
      if ('phones' in audience) {
        const parsed = parsePhoneList(audience.phones);
        if (parsed.invalid.length > 0) {
          return badRequest(`${parsed.invalid.length} entries are not phone numbers`, parsed.invalid.slice(0, 100));
        }
        phones = parsed.phones;
        optedOut = await queries.optedOutAmong(phones);
      } else {
        const members = await queries.tierAudience(audience.tier);
        phones = members.map((m) => m.phone);
        optedOut = new Set(members.filter((m) => m.optedOut).map((m) => m.phone));
      }
      const unreplyable = phones.filter(
        (p) => !optedOut.has(p) && replyBlockedReason({ address: p, kind: 'phone' }, options.destinations),
      ).length;
      const messages = phones.length - optedOut.size - unreplyable;
      const estimate = estimateBroadcast(text, messages, ratePerSecond);
      const plan = {
        audienceSize: phones.length,
        optedOut: optedOut.size,
        unreplyable,
        messages,
        encoding: estimate.encoding,
        characters: estimate.characters,
        segmentsPerMessage: estimate.segmentsPerMessage,
        totalSegments: estimate.totalSegments,
        ratePerSecond,
        estimatedDurationSeconds: estimate.durationSeconds,
      };
      if (request.query.dryRun) return { dryRun: true, ...plan };
      if (phones.length === 0) return badRequest('the audience has no one in it');

      const id = randomUUID();
      const context = actionContext(request);
      await listAudience(app, id, phones, context);
      await appendAction(
        app.eventStore,
        broadcastStream(id),
        {
          id: eventId(broadcastWorkflowId(id), 'api/started'),
          type: 'BroadcastStarted',
          data: {
            broadcastId: id,
            text,
            audience:
              'tier' in audience ? { kind: 'tier', tier: audience.tier } : { kind: 'phones', count: phones.length },
            recipients: phones.length,
            encoding: estimate.encoding,
            segmentsPerMessage: estimate.segmentsPerMessage,
            startedBy: context.actor.name,
          },
        },
        context,
        'no_stream',
      );
      const workflowId = broadcastWorkflowId(id);
      try {
        await app.temporal.workflow.start(WORKFLOW_TYPE, {
          taskQueue: options.taskQueue,
          workflowId,
          args: [{ broadcastId: id, total: phones.length } satisfies BroadcastInput],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
      } catch (error) {
        // Nothing will send it: the log says so, rather than showing a broadcast forever "sending".
        await cancel(app, id, { ...context, reason: 'the workflow could not be started' }).catch(() => undefined);
        throw error;
      }
      return reply.status(202).send({ dryRun: false, ...plan, id, workflowId });
    },
  );

  app.get(
    '/api/broadcasts',
    {
      onRequest: staff,
      schema: {
        summary: 'List broadcasts, newest first (cursor pagination), with their progress',
        tags: ['broadcasts'],
        security: STAFF_SECURITY,
        querystring: BroadcastListQuery,
        response: readResponses(BroadcastList),
      },
    },
    async (request) => {
      const page = await queries.listBroadcasts(request.query);
      return { items: page.items.map(view), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/broadcasts/:id',
    {
      onRequest: staff,
      schema: {
        summary:
          'One broadcast: sent, skipped, failed, remaining, estimated time left, state (just after its start, from the log with nothing counted yet)',
        tags: ['broadcasts'],
        security: STAFF_SECURITY,
        params: BroadcastParams,
        response: readResponses(BroadcastView, { notFound: true }),
      },
    },
    async (request) => {
      const row = (await queries.getBroadcast(request.params.id)) ?? (await rowFromLog(app, request.params.id));
      if (!row) throw new NotFoundError(`No broadcast ${request.params.id}`);
      return view(row);
    },
  );

  app.get(
    '/api/broadcasts/:id/recipients',
    {
      onRequest: staff,
      schema: {
        summary: "A broadcast's audience in order, each with its result (numbers masked for analysts)",
        tags: ['broadcasts'],
        security: STAFF_SECURITY,
        params: BroadcastParams,
        querystring: RecipientListQuery,
        response: readResponses(RecipientList, { notFound: true }),
      },
    },
    async (request) => {
      if (!(await queries.getBroadcast(request.params.id)))
        throw new NotFoundError(`No broadcast ${request.params.id}`);
      return queries.listRecipients(request.params.id, request.query);
    },
  );

  app.post(
    '/api/broadcasts/:id/cancel',
    {
      onRequest: admin,
      preValidation: optionalBody,
      schema: {
        summary: 'Stop a broadcast: no message goes out after this answer (409 once it has finished)',
        tags: ['broadcasts'],
        params: BroadcastParams,
        body: CancelBody,
        response: { 200: CancelResult, ...ACTION_ERRORS, 404: ActionError, 409: ActionError },
      },
    },
    async (request) => {
      const { id } = request.params;
      await cancel(app, id, actionContext(request, request.body?.reason));
      return { id, state: 'cancelled' as const };
    },
  );
};

export default broadcasts;

/**
 * A broadcast the projector has not reached yet (just after its 202), from its own stream: no
 * progress counted yet, but the page that follows a POST finds it.
 */
async function rowFromLog(app: FastifyInstance, id: string): Promise<BroadcastRow | null> {
  const { events } = await readStreamOrEmpty(app.eventStore, broadcastStream(id));
  const life = lifecycleFrom(events.map(asDomain));
  if (life.state === 'not_started') return null;
  const { data, metadata } = life.started;
  const cancelled = life.state === 'cancelled' ? life.cancelled : undefined;
  return {
    id,
    text: data.text,
    audience: data.audience,
    startedBy: data.startedBy,
    startedAt: new Date(metadata.occurredAt).toISOString(),
    state: life.state === 'running' ? 'sending' : life.state,
    total: data.recipients,
    sent: 0,
    skipped: 0,
    failed: 0,
    encoding: data.encoding,
    segmentsPerMessage: data.segmentsPerMessage,
    completedAt: life.state === 'completed' ? new Date(life.completed.metadata.occurredAt).toISOString() : null,
    cancelledAt: cancelled ? new Date(cancelled.metadata.occurredAt).toISOString() : null,
    cancelledBy: cancelled?.data.cancelledBy ?? null,
    cancelReason: cancelled?.metadata.reason ?? null,
  };
}

/** The ordered audience, a thousand numbers an event, in one append: the workflow reads it by cursor. */
async function listAudience(app: FastifyInstance, id: string, phones: string[], context: ActionContext) {
  const stream = audienceStream(id);
  const events = audienceChunks(phones).map((chunk) => ({
    id: eventId(broadcastWorkflowId(id), `api/audience/${chunk.from}`),
    ...createEvent(
      'BroadcastAudienceListed',
      { broadcastId: id, ...chunk },
      { correlationId: context.correlationId, occurredAt: context.now.toISOString() },
    ),
  }));
  await app.eventStore.append(stream, events, { expectedRevision: 'no_stream' });
}

/**
 * Records BroadcastCancelled (who, why) at the stream's revision, so it cannot land after
 * BroadcastCompleted, then signals the workflow. The workflow's sends check the stream before
 * each message, so nothing goes out after this returns, signal or not.
 */
async function cancel(app: FastifyInstance, id: string, context: ActionContext): Promise<void> {
  const stream = broadcastStream(id);
  for (let attempt = 0; ; attempt++) {
    const { events, revision } = await readStreamOrEmpty(app.eventStore, stream);
    const life = lifecycleFrom(events.map(asDomain));
    if (life.state === 'not_started') throw new NotFoundError(`No broadcast ${id}`);
    if (life.state !== 'running')
      throw new ConflictError(
        `Broadcast ${id} has already ${life.state === 'completed' ? 'completed' : 'been cancelled'}`,
      );
    try {
      await appendAction(
        app.eventStore,
        stream,
        {
          id: eventId(broadcastWorkflowId(id), 'api/cancelled'),
          type: 'BroadcastCancelled',
          data: { broadcastId: id, cancelledBy: context.actor.name },
        },
        context,
        revision,
      );
      break;
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) || attempt >= 3) throw error;
    }
  }
  try {
    await app.temporal.workflow
      .getHandle(broadcastWorkflowId(id))
      .signal<[BroadcastCancelRequest]>(CANCEL_SIGNAL, { cancelledBy: context.actor.name });
  } catch (error) {
    // Finished already, or never started: the recorded cancel is all there is to do.
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}
