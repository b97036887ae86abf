import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { userStream } from '../../domain/events/envelope.js';
import { maskPhone } from '../../domain/phone.js';
import { WrongExpectedVersionError } from '../../eventstore/port.js';
import { type ActionContext, actionContext, appendAction, optionalBody } from '../actions/append-action.js';
import { NotFoundError } from '../plugins/error-handler.js';
import { ACTION_ERRORS, ActionError, ReasonBody } from '../schemas/actions.js';
import { TierBody, UserActionResponse, UserParams } from '../schemas/user-actions.js';

const responses = { 200: UserActionResponse, ...ACTION_ERRORS, 404: ActionError };

/**
 * Changes to a person, each one event on `user-<phone>` with the actor: tier (admin), opt-out and
 * opt-in (admin, ops). Appended with `stream_exists`, so an unknown number is a 404 and nothing is
 * created; no other state is read, so a text arriving meanwhile never makes the change fail.
 */
const userActions: FastifyPluginAsyncTypebox = async (app) => {
  const append = async (
    phone: string,
    action: Parameters<typeof appendAction>[2],
    context: ActionContext,
  ): Promise<void> => {
    try {
      await appendAction(app.eventStore, userStream(phone), action, context, 'stream_exists');
    } catch (error) {
      // The message is logged: the number is masked.
      if (error instanceof WrongExpectedVersionError) throw new NotFoundError(`No user ${maskPhone(phone)}`);
      throw error;
    }
  };

  app.patch(
    '/api/users/:phone',
    {
      onRequest: app.requireRole(['admin']),
      schema: { tags: ['users'], params: UserParams, body: TierBody, response: responses },
    },
    async (request) => {
      const { phone } = request.params;
      const context = actionContext(request, request.body.reason);
      const { tier } = request.body;
      await append(
        phone,
        { id: randomUUID(), type: 'TierChanged', data: { tier, changedBy: context.actor.name } },
        context,
      );
      return { phone, action: 'TierChanged' as const, tier };
    },
  );

  for (const [path, type] of [
    ['opt-out', 'UserOptedOut'],
    ['opt-in', 'UserOptedIn'],
  ] as const) {
    app.post(
      `/api/users/:phone/${path}`,
      {
        onRequest: app.requireRole(['admin', 'ops']),
        preValidation: optionalBody,
        schema: { tags: ['users'], params: UserParams, body: ReasonBody, response: responses },
      },
      async (request) => {
        const { phone } = request.params;
        const context = actionContext(request, request.body?.reason);
        await append(
          phone,
          type === 'UserOptedOut'
            ? { id: randomUUID(), type, data: { source: 'admin' } }
            : { id: randomUUID(), type, data: {} },
          context,
        );
        return { phone, action: type };
      },
    );
  }
};

export default userActions;
