export { ERROR_LOG_EVENTS, errorLogsReadModel } from './handler.js';
export * from './queries.js';
