export { MESSAGE_EVENTS, messagesReadModel } from './handler.js';
export * from './queries.js';
