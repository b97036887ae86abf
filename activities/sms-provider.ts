import { randomUUID } from 'node:crypto';
import type { Config } from '../infra/config.js';
import { publicUrl, twilioConfigured } from '../infra/config.js';
import { retryAfter, smsRejected } from './errors.js';
import { createTwilioClient } from './twilio-client.js';

export interface OutboundSms {
  to: string;
  body: string;
  /** Inbound MessageSid of the task; the status callback carries it back to the task stream. None: no callback. */
  taskMessageSid?: string;
  /** A person's reply (stream reply-<id>): the status callback carries it back to that stream. */
  replyId?: string;
}

export type SendResult =
  | { status: 'sent'; providerMessageSid: string; provider: 'twilio' | 'simulator' }
  /** Twilio error 21610: the recipient replied STOP at the carrier; nothing can be sent. */
  | { status: 'recipient_opted_out'; provider: 'twilio' };

export interface SmsProvider {
  readonly name: 'twilio' | 'simulator';
  send(message: OutboundSms): Promise<SendResult>;
  /**
   * The sid of a message with this body sent to `to` since `since`, if the provider has one:
   * lets a retried send find out whether a crashed attempt already sent it.
   */
  findSent?(query: { to: string; body: string; since: Date }): Promise<string | undefined>;
}

/** Twilio's error code for "attempt to send to unsubscribed recipient". */
export const TWILIO_OPTED_OUT = 21610;

export function createSmsProvider(config: Config): SmsProvider {
  if (!twilioConfigured(config)) return simulatorProvider();
  const client = createTwilioClient({
    accountSid: config.TWILIO_ACCOUNT_SID!,
    authToken: config.TWILIO_AUTH_TOKEN!,
    apiBaseUrl: config.TWILIO_API_BASE_URL,
    timeoutMs: 20_000,
  });
  const from = config.TWILIO_PHONE_NUMBER!;
  const callbackBase = `${publicUrl(config)}/sms/status`;
  return {
    name: 'twilio',
    async send({ to, body, taskMessageSid, replyId }) {
      try {
        const message = await client.messages.create({
          to,
          from,
          body,
          ...(taskMessageSid ? { statusCallback: `${callbackBase}?task=${encodeURIComponent(taskMessageSid)}` } : {}),
          ...(replyId ? { statusCallback: `${callbackBase}?reply=${encodeURIComponent(replyId)}` } : {}),
        });
        return { status: 'sent', providerMessageSid: message.sid, provider: 'twilio' };
      } catch (error) {
        return mapTwilioError(error as TwilioError);
      }
    },
    async findSent({ to, body, since }) {
      // date_sent is empty while a message is queued, so filter on date_created here.
      const recent = await client.messages.list({ to, from, limit: 50 });
      return recent.find((m) => m.body === body && m.dateCreated >= since)?.sid;
    },
  };
}

/** How far before the recorded intent a provider's message may be dated and still be that send (clock skew). */
const RECONCILE_SLACK_MS = 60_000;

/**
 * The sid of the message an earlier attempt sent for this intent, if the provider has it: the
 * look-up before any re-send (task replies and broadcasts). Undefined when the provider cannot
 * tell (the simulator). A failed look-up throws, so it never reads as "not sent".
 */
export async function findIntendedSend(
  provider: SmsProvider,
  intent: { to: string; body: string; recordedAt: string },
): Promise<string | undefined> {
  if (!provider.findSent) return undefined;
  const since = new Date(Date.parse(intent.recordedAt) - RECONCILE_SLACK_MS);
  return provider.findSent({ to: intent.to, body: intent.body, since });
}

interface TwilioError extends Error {
  status?: number;
  code?: number;
  headers?: Record<string, string>;
}

function mapTwilioError(error: TwilioError): SendResult {
  if (error.code === TWILIO_OPTED_OUT) return { status: 'recipient_opted_out', provider: 'twilio' };
  const status = error.status ?? 0;
  if (status === 429) throw retryAfter('SmsRateLimited', `Twilio 429: ${error.message}`, 1_000);
  // 4xx other than 429 means this exact request can never succeed: do not retry it.
  if (status >= 400 && status < 500)
    throw smsRejected(`Twilio rejected the message (${status} ${error.code ?? ''}): ${error.message}`, error);
  throw error; // 5xx and network errors: Temporal retries with backoff
}

/**
 * No Twilio credentials: replies are not sent anywhere; the ReplySent events the send activity
 * records are what the dashboard's phone simulator shows.
 */
export function simulatorProvider(): SmsProvider {
  return {
    name: 'simulator',
    async send() {
      return { status: 'sent', providerMessageSid: `SM${randomUUID().replace(/-/g, '')}`, provider: 'simulator' };
    },
  };
}
