import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { userStream } from '../../domain/events/envelope.js';
import { maskPhone } from '../../domain/phone.js';
import type { UserEvent } from '../../domain/user/events.js';
import { type UserState, userStateFrom } from '../../domain/user/state.js';
import { decideRelease, decideTakeover, TakeoverConflictError } from '../../domain/user/takeover.js';
import { type ExpectedRevision, StreamNotFoundError, WrongExpectedVersionError } from '../../eventstore/port.js';
import type { Config } from '../../infra/config.js';
import { createReadModelQueries } from '../../projections/queries.js';
import { type HumanReplyInput, humanReplyWorkflowId } from '../../workflows/types.js';
import { type ActionContext, actionContext, appendAction, optionalBody } from '../actions/append-action.js';
import { BadRequestError, ConflictError, NotFoundError } from '../plugins/error-handler.js';
import { ACTION_ERRORS, ActionError } from '../schemas/actions.js';
import { HumanReplyAccepted, HumanReplyBody, TakeoverBody, TakeoverResponse } from '../schemas/conversation-actions.js';
import { UserParams } from '../schemas/user-actions.js';

export interface ConversationActionOptions {
  taskQueue: string;
  takeoverHours: number;
}

export const conversationActionOptions = (config: Config): ConversationActionOptions => ({
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  takeoverHours: config.TAKEOVER_HOURS,
});

// The workflow's type by name (workflows/human-reply.ts): the API loads no workflow code.
const HUMAN_REPLY_WORKFLOW = 'humanReply';
const responses = { ...ACTION_ERRORS, 404: ActionError, 409: ActionError };

/** A person's state and the revision it was read at; 404 for a number that never texted. */
async function readUser(app: FastifyInstance, phone: string): Promise<{ state: UserState; revision: bigint }> {
  try {
    const events = await app.eventStore.readStream(userStream(phone));
    const last = events.at(-1);
    if (!last) throw new StreamNotFoundError(userStream(phone));
    return { state: userStateFrom(events as unknown as UserEvent[]), revision: last.revision };
  } catch (error) {
    // The message is logged: the number is masked.
    if (error instanceof StreamNotFoundError) throw new NotFoundError(`No user ${maskPhone(phone)}`);
    throw error;
  }
}

/**
 * A person takes the conversation over from the AI, releases it, and writes replies. Takeover and
 * release are decided on the user stream at the revision read (an SMS counted meanwhile makes the
 * API decide again), with the actor in the metadata: the audit trail is the log.
 */
const conversationActions: FastifyPluginAsyncTypebox<ConversationActionOptions> = async (app, options) => {
  const staff = app.requireRole(['admin', 'ops']);
  const queries = createReadModelQueries(app.pg);

  /** Decides on the current state and appends at its revision, again when someone else wrote first. */
  async function decideAndAppend(
    phone: string,
    context: ActionContext,
    decide: (state: UserState) => Parameters<typeof appendAction>[2],
  ): Promise<UserState> {
    for (let attempt = 0; ; attempt++) {
      const { state, revision } = await readUser(app, phone);
      let action: Parameters<typeof appendAction>[2];
      try {
        action = decide(state);
      } catch (error) {
        if (error instanceof TakeoverConflictError) throw new ConflictError(error.message);
        throw error;
      }
      try {
        await appendAction(app.eventStore, userStream(phone), action, context, revision as ExpectedRevision);
        return (await readUser(app, phone)).state;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || attempt >= 5) throw error;
      }
    }
  }

  app.post(
    '/api/users/:phone/takeover',
    {
      onRequest: staff,
      preValidation: optionalBody,
      schema: {
        summary: `Pause the AI for this number until released or TAKEOVER_HOURS pass (409 if already taken over)`,
        tags: ['users'],
        params: UserParams,
        body: TakeoverBody,
        response: { 200: TakeoverResponse, ...responses },
      },
    },
    async (request) => {
      const { phone } = request.params;
      const context = actionContext(request, request.body?.reason);
      const state = await decideAndAppend(phone, context, (current) => ({
        id: randomUUID(),
        ...decideTakeover(current, {
          by: context.actor.name,
          reason: context.reason,
          now: context.now,
          hours: options.takeoverHours,
        }),
      }));
      return { phone, action: 'ConversationTakenOver' as const, takeover: state.takeover };
    },
  );

  app.post(
    '/api/users/:phone/release',
    {
      onRequest: staff,
      preValidation: optionalBody,
      schema: {
        summary: 'Give the conversation back to the AI (409 if not taken over)',
        tags: ['users'],
        params: UserParams,
        body: TakeoverBody,
        response: { 200: TakeoverResponse, ...responses },
      },
    },
    async (request) => {
      const { phone } = request.params;
      const context = actionContext(request, request.body?.reason);
      await decideAndAppend(phone, context, (current) => ({
        id: randomUUID(),
        ...decideRelease(current, { by: context.actor.name, now: context.now }),
      }));
      return { phone, action: 'ConversationReleased' as const };
    },
  );

  app.post(
    '/api/users/:phone/messages',
    {
      onRequest: staff,
      schema: {
        summary: 'Send a reply written by a person (202: workflow reply-<id> sends it; 409 if opted out)',
        tags: ['users'],
        params: UserParams,
        body: HumanReplyBody,
        response: { 202: HumanReplyAccepted, ...responses },
      },
    },
    async (request, reply) => {
      const { phone } = request.params;
      const { text } = request.body;
      if (text.trim() === '') throw new BadRequestError('text is blank');
      const context = actionContext(request);
      const { state } = await readUser(app, phone);
      // Checked again just before sending (the activity): a STOP may come in between.
      if (state.optedOut) throw new ConflictError(`${maskPhone(phone)} has opted out: nothing was sent`);
      // Allowed whether or not the conversation is taken over: a person may always write (README).
      const replyId = randomUUID();
      const workflowId = humanReplyWorkflowId(replyId);
      const provider = (await queries.lastInboundProvider(phone)) === 'simulator' ? 'simulator' : 'twilio';
      const input: HumanReplyInput = { replyId, to: phone, text, actor: { ...context.actor }, provider };
      await app.temporal.workflow.start(HUMAN_REPLY_WORKFLOW, {
        taskQueue: options.taskQueue,
        workflowId,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      return reply.status(202).send({ replyId, workflowId });
    },
  );
};

export default conversationActions;
