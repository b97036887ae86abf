export { AUDIT_EVENTS, auditReadModel } from './handler.js';
export * from './queries.js';
