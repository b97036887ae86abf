import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createReadModelQueries } from '../../projections/queries.js';
import { readResponses, STAFF_SECURITY } from '../schemas/common.js';
import { FailureList, FailureListQuery } from '../schemas/failures.js';

const failures: FastifyPluginAsyncTypebox = async (app) => {
  const queries = createReadModelQueries(app.pg);

  app.get(
    '/api/failures',
    {
      onRequest: app.requireRole(['admin', 'ops', 'analyst']),
      schema: {
        summary: 'Tasks waiting for an operator (status failed, workflow NEEDS_ATTENTION), each with its last error',
        tags: ['failures'],
        security: STAFF_SECURITY,
        querystring: FailureListQuery,
        response: readResponses(FailureList),
      },
    },
    async (request) => queries.listFailedTasks(request.query),
  );
};

export default failures;
