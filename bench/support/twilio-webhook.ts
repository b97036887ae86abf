import twilio from 'twilio';

/** Fixed identities of the benchmark's fake Twilio account (the fakes accept any well-formed ones). */
export const ACCOUNT_SID = `AC${'0'.repeat(31)}7`;
export const AUTH_TOKEN = 'bench-auth-token-0123456789';
export const OUR_NUMBER = '+15005550006';

export interface InboundSms {
  sid: string;
  from: string;
  body: string;
}

/** What Twilio POSTs to /sms/receive for an inbound SMS (the fields we read plus a few it always sends). */
export function inboundForm(sms: InboundSms): Record<string, string> {
  return {
    MessageSid: sms.sid,
    SmsSid: sms.sid,
    AccountSid: ACCOUNT_SID,
    From: sms.from,
    To: OUR_NUMBER,
    Body: sms.body,
    NumMedia: '0',
    NumSegments: '1',
    ApiVersion: '2010-04-01',
  };
}

/** A form body and the headers Twilio would send with it, signed for `url` (the API's PUBLIC_URL + path). */
export function signedForm(
  url: string,
  params: Record<string, string>,
  authToken = AUTH_TOKEN,
): { body: string; headers: Record<string, string> } {
  return {
    body: new URLSearchParams(params).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, url, params),
      'user-agent': 'TwilioProxy/1.1',
    },
  };
}

/** Random per process, so runs against a reused Temporal server never repeat a workflow id. */
const RUN = Math.floor(Math.random() * 2 ** 24);

/** SM + 32 hex characters: this run, the phase (0-15) and the index. */
export const messageSid = (phase: number, i: number) =>
  `SM${(RUN * 16 + (phase % 16)).toString(16).padStart(8, '0')}${i.toString(16).padStart(24, '0')}`;

/**
 * A distinct valid US number per index (+1 415 2xx xxxx, 10^6 of them): each SMS comes from a new
 * person, so the per-person quota (free: 10 a minute) never limits the load.
 */
export const phoneNumber = (i: number) => `+14152${String(i % 1_000_000).padStart(6, '0')}`;

/** The inbound MessageSid a reply answers: the send activity puts it in the StatusCallback URL. */
export function taskOfReply(statusCallback: string | undefined): string | undefined {
  if (!statusCallback) return undefined;
  try {
    return new URL(statusCallback).searchParams.get('task') ?? undefined;
  } catch {
    return undefined;
  }
}
