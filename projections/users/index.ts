export { USER_EVENTS, usersReadModel } from './handler.js';
export * from './queries.js';
