import type { FastifyRequest } from 'fastify';
import { createEvent, type DomainEventType, type EventOfType } from '../../domain/events/catalogue.js';
import type { EventStore, ExpectedRevision } from '../../eventstore/port.js';
import type { Actor } from '../plugins/admin-auth.js';

/** Who acts and why: the metadata every event appended through the admin API carries. */
export interface ActionContext {
  actor: Actor;
  reason?: string;
  /** The request id: every event one request appends shares it. */
  correlationId: string;
  now: Date;
}

/**
 * The context of a request that passed `requireRole` (which sets `request.actor`). Action routes
 * run the role check `onRequest`, before the body is validated: a caller without credentials gets
 * 401 whatever they sent, never a 400 that describes the schema.
 */
export function actionContext(request: FastifyRequest, reason?: string): ActionContext {
  if (!request.actor) throw new Error('actionContext: route is missing its requireRole hook');
  return { actor: request.actor, reason: reason || undefined, correlationId: request.id, now: new Date() };
}

/**
 * Appends one event with the actor and reason in its metadata. `id` is the caller's: fixed for an
 * action that must happen once (a retry of one failed round), random for one that may repeat.
 */
export async function appendAction<T extends DomainEventType>(
  store: EventStore,
  stream: string,
  action: { id: string; type: T; data: EventOfType<T>['data'] },
  context: ActionContext,
  expectedRevision: ExpectedRevision = 'any',
) {
  const event = createEvent(action.type, action.data, {
    correlationId: context.correlationId,
    occurredAt: context.now.toISOString(),
    actor: { ...context.actor },
    ...(context.reason ? { reason: context.reason } : {}),
  });
  return store.append(stream, [{ id: action.id, ...event }], { expectedRevision });
}

/**
 * preValidation for actions whose body is optional (`{reason?}`): a POST with no body at all (a
 * script's `curl -X POST`) is validated as `{}` instead of failing "body must be object".
 */
export async function optionalBody(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}
