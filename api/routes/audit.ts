import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditQueries } from '../../projections/audit/queries.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';
import { ACTION_ERRORS } from '../schemas/actions.js';
import { AuditPage, AuditQuery } from '../schemas/audit.js';

/** The audit trail (admin): every change made through the API, newest first, from the audit read model. */
const audit: FastifyPluginAsyncTypebox = async (app) => {
  const queries = auditQueries(app.pg, READ_MODEL_SCHEMA);
  app.get(
    '/api/audit',
    {
      onRequest: app.requireRole(['admin']),
      schema: { tags: ['audit'], querystring: AuditQuery, response: { 200: AuditPage, ...ACTION_ERRORS } },
    },
    async (request) => queries.listAudit(request.query),
  );
};

export default audit;
