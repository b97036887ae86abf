import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  /**
   * TWILIO_API_BASE_URL: send the API calls to a Twilio-compatible server (or a test fake)
   * instead of https://api.twilio.com. Paths stay the same (`/2010-04-01/Accounts/...`).
   */
  apiBaseUrl?: string;
  /** Per-request timeout in milliseconds (the SDK's default is 30 s). */
  timeoutMs?: number;
}

/**
 * The twilio SDK has no base-URL option (only edge/region, which stay on twilio.com), but it
 * accepts a custom httpClient: this one rewrites every `*.twilio.com` origin to the base URL.
 */
class BaseUrlRequestClient extends twilio.RequestClient {
  readonly #base: URL;

  constructor(apiBaseUrl: string, options: RequestClient.RequestClientOptions) {
    super(options);
    this.#base = new URL(apiBaseUrl.endsWith('/') ? apiBaseUrl : `${apiBaseUrl}/`);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: this.rewrite(opts.uri) });
  }

  private rewrite(uri: string): string {
    const url = new URL(uri);
    if (url.hostname !== 'twilio.com' && !url.hostname.endsWith('.twilio.com')) return uri;
    return new URL(`${url.pathname.replace(/^\//, '')}${url.search}`, this.#base).href;
  }
}

export function createTwilioClient(options: TwilioClientOptions): twilio.Twilio {
  const { accountSid, authToken, apiBaseUrl, timeoutMs } = options;
  const httpClient = apiBaseUrl ? new BaseUrlRequestClient(apiBaseUrl, { timeout: timeoutMs }) : undefined;
  // Retries belong to Temporal (the send activity checks for ReplySent first), so autoRetry stays off.
  return twilio(accountSid, authToken, { httpClient, timeout: timeoutMs, autoRetry: false });
}
