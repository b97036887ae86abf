import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TWILIO_OPTED_OUT } from '../../activities/sms-provider.js';
import { recordSmsReceived } from '../../activities/sms-received.js';
import { currentSchemaVersion } from '../../domain/events/catalogue.js';
import { eventId, humanReplyStream, smsStream, userStream } from '../../domain/events/envelope.js';
import { toE164 } from '../../domain/phone.js';
import { inboundBody } from '../../domain/sms/inbound-body.js';
import { parseInboundMedia } from '../../domain/sms/media.js';
import { normalizeSender, possibleE164 } from '../../domain/sms/sender.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../domain/sms-task/events.js';
import { BadRequestError } from '../plugins/error-handler.js';
import { InboundSmsForm, StatusCallbackForm, StatusCallbackQuery } from '../schemas/sms.js';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export interface SmsWebhookOptions {
  /** Origins besides https ones that MMS media may be fetched from (TWILIO_API_BASE_URL's: tests' fake). */
  mediaOrigins?: string[];
}

/** Twilio's webhooks. Both are signed; a bad signature gets 403 before anything is parsed further. */
const smsWebhooks: FastifyPluginAsyncTypebox<SmsWebhookOptions> = async (app, options) => {
  app.post(
    '/sms/receive',
    { preValidation: app.verifyTwilioSignature, schema: { body: InboundSmsForm } },
    async (request, reply) => {
      const form = request.body;
      // Twilio's signature says the SMS arrived: it is recorded whoever sent it and whatever it says.
      const sender = normalizeSender(form.From);
      const { body, truncatedFrom } = inboundBody(form.Body);
      // Our own number may be a short code; keep it as Twilio sent it when it is not E.164.
      const to = toE164(form.To) ?? form.To;
      const { numMedia, media } = parseInboundMedia(form, options.mediaOrigins);
      const now = new Date();
      // Twilio does not retry an SMS webhook: the SMS must be in the log before we answer. The
      // inbox starter starts its workflow from there; a duplicate delivery appends nothing new.
      await recordSmsReceived(
        app.eventStore,
        {
          messageSid: form.MessageSid,
          from: sender.address,
          senderKind: sender.kind,
          to,
          body,
          bodyTruncatedFrom: truncatedFrom,
          numMedia,
          media,
          provider: 'twilio',
          receivedAt: now.toISOString(),
        },
        now,
      );
      // The reply goes out from the workflow, never in this response.
      return reply.type('text/xml').send(EMPTY_TWIML);
    },
  );

  app.post(
    '/sms/status',
    {
      preValidation: app.verifyTwilioSignature,
      schema: { querystring: StatusCallbackQuery, body: StatusCallbackForm },
    },
    async (request, reply) => {
      const { task, reply: replyId } = request.query;
      if ((task === undefined) === (replyId === undefined)) throw new BadRequestError('expected one of task, reply');
      const stream = task !== undefined ? smsStream(task) : humanReplyStream(replyId as string);
      const form = request.body;
      const status = form.MessageStatus.toLowerCase() as DeliveryStatus;
      if (!DELIVERY_STATUSES.includes(status)) throw new BadRequestError(`unknown MessageStatus ${form.MessageStatus}`);
      const errorCode = form.ErrorCode || undefined;
      const correlationId = `status-${form.MessageSid}`;
      const metadata = (type: string) => ({
        correlationId,
        causationId: stream,
        occurredAt: new Date().toISOString(),
        schemaVersion: currentSchemaVersion(type),
      });
      // One id per (message, status, error): Twilio's retried callbacks append nothing new.
      await app.eventStore.append(stream, [
        {
          id: eventId(correlationId, `${status}/${errorCode ?? ''}`),
          type: 'DeliveryStatusUpdated',
          data: { providerMessageSid: form.MessageSid, status, ...(errorCode ? { errorCode } : {}) },
          metadata: metadata('DeliveryStatusUpdated'),
        },
      ]);
      const to = form.To ? possibleE164(form.To) : undefined;
      if (errorCode === String(TWILIO_OPTED_OUT) && to) {
        await app.eventStore.append(userStream(to), [
          {
            id: eventId(correlationId, 'carrier-opt-out'),
            type: 'UserOptedOut',
            data: { source: 'carrier', ...(task && { messageSid: task }) },
            metadata: metadata('UserOptedOut'),
          },
        ]);
      }
      return reply.status(204).send();
    },
  );
};

export default smsWebhooks;
