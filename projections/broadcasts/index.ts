export { BROADCAST_EVENTS, broadcastsReadModel } from './handler.js';
export * from './queries.js';
