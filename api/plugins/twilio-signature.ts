import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import twilio from 'twilio';
import { publicUrl } from '../../infra/config.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** preValidation hook: 403 unless X-Twilio-Signature matches PUBLIC_URL + path and the form body. */
    verifyTwilioSignature: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

export default fp(
  async (app: FastifyInstance, options: { authToken?: string; publicUrl: string }) => {
    app.decorate('verifyTwilioSignature', async (request: FastifyRequest, reply: FastifyReply) => {
      const signature = request.headers['x-twilio-signature'];
      const reject = (reason: string) => {
        request.log.warn({ reason }, 'webhook rejected: bad Twilio signature');
        return reply.status(403).send({ error: 'Forbidden', message: reason, statusCode: 403 });
      };
      if (!options.authToken) return reject('Twilio is not configured (no TWILIO_AUTH_TOKEN); use the simulator');
      if (typeof signature !== 'string' || signature.length === 0) return reject('missing X-Twilio-Signature');
      // The URL Twilio signed is the public one, not what a proxy forwarded to us.
      const url = `${options.publicUrl}${request.url}`;
      const params = (request.body ?? {}) as Record<string, unknown>;
      if (!twilio.validateRequest(options.authToken, signature, url, params))
        return reject('invalid X-Twilio-Signature');
    });
  },
  { name: 'twilio-signature' },
);

export const twilioSignatureOptions = (config: Parameters<typeof publicUrl>[0]) => ({
  authToken: config.TWILIO_AUTH_TOKEN,
  publicUrl: publicUrl(config),
});
