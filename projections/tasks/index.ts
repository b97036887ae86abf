export { TASK_EVENTS, taskId, tasksReadModel } from './handler.js';
export * from './queries.js';
