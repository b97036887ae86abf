import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { EventStore } from '../../eventstore/port.js';

declare module 'fastify' {
  interface FastifyInstance {
    eventStore: EventStore;
  }
}

export default fp(
  async (app: FastifyInstance, options: { store: EventStore }) => {
    app.decorate('eventStore', options.store);
  },
  { name: 'event-store' },
);
