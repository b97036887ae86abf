import OpenAI from 'openai';
import { aiProvider, type Config } from '../infra/config.js';
import type { ChatMessage } from './chat-message.js';
import { createDemoModel } from './demo-model.js';

export type { ChatContentPart, ChatMessage } from './chat-message.js';

export interface Completion {
  model: string;
  text: string;
  promptTokens: number;
  completionTokens: number;
}

/**
 * What a failed call means for the next attempt:
 * - `rate_limited`: come back after `retryAfterMs` (a 429 with Retry-After);
 * - `rejected`: a bad key or a forbidden request, which no model and no retry can fix;
 * - `model_rejected`: this model refused the request (400, 404 unknown model, 422); another may not;
 * - `transient`: 5xx, timeouts, network errors: try again.
 */
export type AiErrorKind = 'rate_limited' | 'rejected' | 'model_rejected' | 'transient';

export class AiCallError extends Error {
  constructor(
    readonly kind: AiErrorKind,
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AiCallError';
  }
}

/** One paid call to one model. Retries and the fallback model are the AI activity's business. */
export interface AiClient {
  complete(request: {
    model: string;
    messages: ChatMessage[];
    maxTokens: number;
    signal?: AbortSignal;
  }): Promise<Completion>;
}

/**
 * The AI the worker calls: OpenAI or an OpenAI-compatible server when either variable is set, else
 * the built-in demo model (never in production: aiProvider throws a ConfigError there).
 */
export function createAiClient(config: Config): AiClient {
  return aiProvider(config) === 'demo' ? createDemoModel() : createOpenAiClient(config);
}

/** One line for start-up: which AI answers, and where. */
export function describeAi(config: Config): string {
  switch (aiProvider(config)) {
    case 'demo':
      return 'demo model (no OPENAI_API_KEY or OPENAI_BASE_URL): canned answers, labelled as such';
    case 'compatible':
      return `OpenAI-compatible server at ${config.OPENAI_BASE_URL}, model ${config.OPENAI_MODEL}`;
    case 'openai':
      return `OpenAI (https://api.openai.com/v1), models ${config.OPENAI_MODEL} and ${config.OPENAI_MODEL_CODING} (coding)`;
  }
}

function createOpenAiClient(config: Config): AiClient {
  const openai = new OpenAI({
    // Local OpenAI-compatible servers (Ollama, vLLM) accept any key; the start-up banner says which AI is used.
    apiKey: config.OPENAI_API_KEY ?? 'not-set',
    baseURL: config.OPENAI_BASE_URL,
    timeout: config.OPENAI_TIMEOUT_MS,
    // Temporal owns retries, with backoff and Retry-After, so the SDK must not retry on its own.
    maxRetries: 0,
  });
  return {
    async complete({ model, messages, maxTokens, signal }) {
      let response: OpenAI.Chat.Completions.ChatCompletion;
      try {
        response = await openai.chat.completions.create({ model, messages, max_tokens: maxTokens }, { signal });
      } catch (error) {
        throw classify(error, model);
      }
      const text = response.choices[0]?.message?.content?.trim() ?? '';
      if (!text) throw new AiCallError('transient', `model ${model} returned an empty answer`);
      return {
        model: response.model || model,
        text,
        promptTokens: response.usage?.prompt_tokens ?? 0,
        completionTokens: response.usage?.completion_tokens ?? 0,
      };
    },
  };
}

function classify(error: unknown, model: string): AiCallError {
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    const { status } = error;
    const message = `AI request to ${model} failed (${status}): ${error.message}`;
    if (status === 429) {
      const seconds = Number(error.headers?.get?.('retry-after') ?? 1);
      return new AiCallError('rate_limited', message, (Number.isFinite(seconds) ? seconds : 1) * 1000, {
        cause: error,
      });
    }
    if (status === 401 || status === 403) return new AiCallError('rejected', message, undefined, { cause: error });
    if (status === 400 || status === 404 || status === 422) {
      return new AiCallError('model_rejected', message, undefined, { cause: error });
    }
    return new AiCallError('transient', message, undefined, { cause: error });
  }
  const cause = error instanceof Error ? error : new Error(String(error));
  return new AiCallError('transient', `AI request to ${model} failed: ${cause.message}`, undefined, { cause });
}
