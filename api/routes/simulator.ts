import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { recordSmsReceived } from '../../activities/sms-received.js';
import { inboundBody } from '../../domain/sms/inbound-body.js';
import { possibleE164 } from '../../domain/sms/sender.js';
import { workflowIdFor } from '../../workflows/types.js';
import { BadRequestError } from '../plugins/error-handler.js';
import { SimulatedSmsBody, SimulatedSmsResponse } from '../schemas/sms.js';

/** Text the service as any number without a phone or Twilio: the dashboard's phone simulator. */
const simulator: FastifyPluginAsyncTypebox<{ ourNumber: string }> = async (app, options) => {
  app.post(
    '/api/simulator/sms',
    {
      onRequest: app.requireAdmin,
      schema: { body: SimulatedSmsBody, response: { 202: SimulatedSmsResponse } },
    },
    async (request, reply) => {
      const from = possibleE164(request.body.from);
      if (!from) throw new BadRequestError('from is not a possible phone number');
      const { body, truncatedFrom } = inboundBody(request.body.body);
      const messageSid = `SM${randomBytes(16).toString('hex')}`;
      const now = new Date();
      // Accepted once it is in the log; the inbox starter starts the workflow.
      await recordSmsReceived(
        app.eventStore,
        {
          messageSid,
          from,
          to: options.ourNumber,
          body,
          bodyTruncatedFrom: truncatedFrom,
          numMedia: 0,
          provider: 'simulator',
          receivedAt: now.toISOString(),
        },
        now,
      );
      return reply.status(202).send({ messageSid, workflowId: workflowIdFor(messageSid) });
    },
  );
};

export default simulator;
