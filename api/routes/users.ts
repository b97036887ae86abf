import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { UserEvent } from '../../domain/user/events.js';
import { type QuotaPolicy, windowBounds } from '../../domain/user/quota.js';
import { userStateFrom } from '../../domain/user/state.js';
import { activeTakeover } from '../../domain/user/takeover.js';
import { StreamNotFoundError } from '../../eventstore/port.js';
import { createReadModelQueries } from '../../projections/queries.js';
import { NotFoundError } from '../plugins/error-handler.js';
import { readResponses, STAFF_SECURITY } from '../schemas/common.js';
import { PhoneParams, UserDetail, UserList, UserListQuery } from '../schemas/users.js';

export interface UserRoutesOptions {
  policy: QuotaPolicy;
  now?: () => Date;
}

const WINDOWS = [
  ['minute', 'perMinute'],
  ['day', 'perDay'],
  ['month', 'perMonth'],
] as const;

const users: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (app, options) => {
  const queries = createReadModelQueries(app.pg);
  const now = options.now ?? (() => new Date());
  const staff = app.requireRole(['admin', 'ops', 'analyst']);

  app.get(
    '/api/users',
    {
      onRequest: staff,
      schema: {
        summary: 'List people, newest first (cursor pagination); search by digits of the phone, tier, opted out',
        tags: ['users'],
        security: STAFF_SECURITY,
        querystring: UserListQuery,
        response: readResponses(UserList),
      },
    },
    async (request) => queries.listUsers(request.query),
  );

  app.get(
    '/api/users/:phone',
    {
      onRequest: staff,
      schema: {
        summary: 'One person: profile, usage in each quota window, cost to date and the latest conversation',
        tags: ['users'],
        security: STAFF_SECURITY,
        params: PhoneParams,
        response: readResponses(UserDetail, { notFound: true }),
      },
    },
    async (request) => {
      const { phone } = request.params;
      const user = await queries.getUser(phone);
      if (!user) throw new NotFoundError(`No user ${phone}`);
      // Usage comes from the user's stream, the same state the rate check decides on, not the read model.
      const events = await app.eventStore.readStream(`user-${phone}`).catch((error: unknown) => {
        if (error instanceof StreamNotFoundError) return [];
        throw error;
      });
      const state = userStateFrom(events as unknown as UserEvent[]);
      const at = now();
      const limits = options.policy[state.tier];
      const windows = WINDOWS.map(([window, limit]) => {
        const { start, end } = windowBounds(window, at);
        const used = state.usage.filter((u) => Date.parse(u.at) >= start.getTime()).length;
        return { window, used, limit: limits[limit], resetsAt: end.toISOString() };
      });
      const [cost, conversation] = await Promise.all([
        queries.costForPhone(phone),
        queries.conversation(phone, { limit: 50 }),
      ]);
      return {
        user,
        usage: { tier: state.tier, windows },
        cost,
        conversation,
        takeover: activeTakeover(state, at) ?? null,
      };
    },
  );
};

export default users;
