import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { sendJson, startServer } from './http.js';

/**
 * A fake OpenAI-compatible endpoint (POST /v1/chat/completions, non-streaming; GET /v1/models)
 * over real HTTP, for the real openai SDK: `new OpenAI({ apiKey: 'test', baseURL: fake.baseUrl, maxRetries: 0 })`.
 */

export type ChatRequest = ChatCompletionCreateParamsNonStreaming;

export interface RecordedRequest {
  model: string;
  messages: ChatCompletionMessageParam[];
  body: ChatRequest;
  /** The HTTP status the fake answered. */
  status: number;
}

export interface OpenAIKnobs {
  latencyMs: number;
  /** The assistant's answer; by default it echoes the start of the last user message. */
  reply: string | ((request: ChatRequest) => string);
  failNext(n: number, status?: number): void;
  /** The next n requests answer 429 with `Retry-After: <seconds>`. */
  rateLimitNext(n: number, retryAfterSeconds?: number): void;
  /** Every request fails with this status until heal(). */
  failAlways(status?: number): void;
  /** Requests for this model fail (404 reads as "model not found") until heal(). */
  failForModel(model: string, status?: number): void;
  /**
   * Each chat completion fails with a 500 with this probability (0..1), after the other failure
   * knobs: random transient faults for soaks. heal() sets it back to 0.
   */
  failureRate: number;
  /** Clears every failure knob (not latency or reply). */
  heal(): void;
}

export interface FakeOpenAI {
  /** Ends with /v1, like OPENAI_BASE_URL. */
  baseUrl: string;
  /** Chat completion requests, failed ones included, oldest first. */
  requests: RecordedRequest[];
  knobs: OpenAIKnobs;
  /** Forgets requests and restores every knob. */
  reset(): void;
  close(): Promise<void>;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'requests',
  500: 'server_error',
  502: 'server_error',
  503: 'server_error',
};

const apiError = (status: number, message: string, code: string | null = null) => ({
  error: { message, type: ERROR_TYPES[status] ?? 'server_error', param: null, code },
});

/** Text of a message, whether content is a string or an array of parts. */
export function contentText(message: ChatCompletionMessageParam | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => ('text' in part ? part.text : '')).join('');
}

/** The URLs of every image_url content part in a request (vision input), in order. */
export function imageUrls(request: Pick<RecordedRequest, 'messages'>): string[] {
  return request.messages.flatMap((m) =>
    Array.isArray(m.content)
      ? m.content.flatMap((part) => (part.type === 'image_url' ? [part.image_url.url] : []))
      : [],
  );
}

/** What OpenAI takes as an image: a JPEG, PNG, GIF or WebP base64 data URL, or an http(s) URL. */
const IMAGE_URL = /^(data:image\/(jpeg|png|gif|webp);base64,[A-Za-z0-9+/]+=*|https?:\/\/\S+)$/;

/** A deterministic stand-in for token counts: about 4 characters a token, plus per-message overhead. */
const tokens = (text: string) => Math.ceil(text.length / 4);

export function defaultReply(request: ChatRequest): string {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  const question = contentText(lastUser).replace(/\s+/g, ' ').trim().slice(0, 80);
  return `Fake answer from ${request.model} to: ${question}`;
}

export async function startFakeOpenAI(
  options: {
    apiKey?: string;
    /** Source of failureRate's draws (seed it for repeatable runs). */
    random?: () => number;
  } = {},
): Promise<FakeOpenAI> {
  const random = options.random ?? Math.random;
  const requests: RecordedRequest[] = [];
  let failures: number[] = [];
  let rateLimits: number[] = [];
  let failEverything: number | undefined;
  let failingModels = new Map<string, number>();

  const knobs: OpenAIKnobs = {
    latencyMs: 0,
    reply: defaultReply,
    failNext: (n, status = 500) => {
      failures.push(...Array<number>(n).fill(status));
    },
    rateLimitNext: (n, retryAfterSeconds = 1) => {
      rateLimits.push(...Array<number>(n).fill(retryAfterSeconds));
    },
    failAlways: (status = 500) => {
      failEverything = status;
    },
    failForModel: (model, status = 404) => {
      failingModels.set(model, status);
    },
    failureRate: 0,
    heal: () => {
      knobs.failureRate = 0;
      failures = [];
      rateLimits = [];
      failEverything = undefined;
      failingModels = new Map();
    },
  };

  const server = await startServer(async (req, res, rawBody) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const requestId = `req_${randomBytes(12).toString('hex')}`;
    if (knobs.latencyMs > 0) await sleep(knobs.latencyMs);
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || (options.apiKey && auth !== `Bearer ${options.apiKey}`)) {
      return sendJson(res, 401, apiError(401, 'Incorrect API key provided.', 'invalid_api_key'));
    }
    if (path === '/v1/models' && req.method === 'GET') {
      const data = ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini'].map((id) => ({
        id,
        object: 'model',
        created: 1_700_000_000,
        owned_by: 'fake',
      }));
      return sendJson(res, 200, { object: 'list', data });
    }
    if (path !== '/v1/chat/completions' || req.method !== 'POST') {
      return sendJson(res, 404, apiError(404, `Unknown request URL: ${req.method} ${path}`, 'unknown_url'));
    }

    let body: ChatRequest;
    try {
      body = JSON.parse(rawBody) as ChatRequest;
    } catch {
      return sendJson(res, 400, apiError(400, 'We could not parse the JSON body of your request.'));
    }
    const record: RecordedRequest = { model: body.model, messages: body.messages ?? [], body, status: 0 };
    requests.push(record);
    const fail = (status: number, error: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      sendJson(res, status, error, { 'x-request-id': requestId, ...headers });
    };

    if (failEverything !== undefined)
      return fail(failEverything, apiError(failEverything, 'The fake is failing on purpose.'));
    const modelFailure = failingModels.get(body.model);
    if (modelFailure !== undefined) {
      const message = `The model \`${body.model}\` does not exist or you do not have access to it.`;
      return fail(modelFailure, apiError(modelFailure, message, modelFailure === 404 ? 'model_not_found' : null));
    }
    const retryAfter = rateLimits.shift();
    if (retryAfter !== undefined) {
      const error = apiError(429, 'Rate limit reached for requests. Please try again later.', 'rate_limit_exceeded');
      return fail(429, error, { 'retry-after': String(retryAfter) });
    }
    const failure = failures.shift() ?? (knobs.failureRate > 0 && random() < knobs.failureRate ? 500 : undefined);
    if (failure !== undefined) {
      return fail(
        failure,
        apiError(failure, 'The server had an error while processing your request. Sorry about that!'),
      );
    }
    if (!body.model || !Array.isArray(body.messages) || body.messages.length === 0) {
      return fail(
        400,
        apiError(400, "Missing required parameter: 'model' or 'messages'.", 'missing_required_parameter'),
      );
    }
    const badImage = imageUrls(record).find((url) => !IMAGE_URL.test(url));
    if (badImage !== undefined) {
      return fail(
        400,
        apiError(400, 'Invalid image URL: expected a base64 data URL of an image.', 'invalid_image_url'),
      );
    }
    if ((body as { stream?: boolean }).stream) {
      return fail(400, apiError(400, 'The fake serves non-streaming completions only.', 'unsupported_value'));
    }

    let content = typeof knobs.reply === 'function' ? knobs.reply(body) : knobs.reply;
    let finishReason: ChatCompletion.Choice['finish_reason'] = 'stop';
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    if (maxTokens && tokens(content) > maxTokens) {
      content = content.slice(0, maxTokens * 4);
      finishReason = 'length';
    }
    const promptTokens = 3 + body.messages.reduce((sum, m) => sum + 4 + tokens(contentText(m)), 0);
    const completionTokens = Math.max(1, tokens(content));
    const completion: ChatCompletion = {
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null, annotations: [] },
          finish_reason: finishReason,
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
    };
    record.status = 200;
    sendJson(res, 200, completion, { 'x-request-id': requestId });
  });

  return {
    baseUrl: `${server.origin}/v1`,
    requests,
    knobs,
    reset() {
      requests.length = 0;
      knobs.heal();
      knobs.latencyMs = 0;
      knobs.reply = defaultReply;
    },
    close: server.close,
  };
}
