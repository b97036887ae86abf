import OpenAI from 'openai';
import type { Config } from '../infra/config.js';
import { aiRejected, retryAfter } from './errors.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Completion {
  model: string;
  text: string;
  promptTokens: number;
  completionTokens: number;
  fallbackUsed: boolean;
}

export interface AiClient {
  complete(request: {
    model: string;
    fallbackModel: string;
    messages: ChatMessage[];
    maxTokens: number;
    signal?: AbortSignal;
  }): Promise<Completion>;
}

export function createAiClient(config: Config): AiClient {
  const openai = new OpenAI({
    // Local OpenAI-compatible servers (Ollama, vLLM) accept any key; the start-up banner warns when unset.
    apiKey: config.OPENAI_API_KEY ?? 'not-set',
    baseURL: config.OPENAI_BASE_URL,
    timeout: config.OPENAI_TIMEOUT_MS,
    // Temporal owns retries, with backoff and Retry-After, so the SDK must not retry on its own.
    maxRetries: 0,
  });

  async function call(model: string, messages: ChatMessage[], maxTokens: number, signal?: AbortSignal) {
    const response = await openai.chat.completions.create({ model, messages, max_tokens: maxTokens }, { signal });
    const text = response.choices[0]?.message?.content?.trim() ?? '';
    if (!text) throw new Error(`model ${model} returned an empty answer`);
    return {
      model: response.model || model,
      text,
      promptTokens: response.usage?.prompt_tokens ?? 0,
      completionTokens: response.usage?.completion_tokens ?? 0,
    };
  }

  return {
    async complete({ model, fallbackModel, messages, maxTokens, signal }) {
      try {
        return { ...(await call(model, messages, maxTokens, signal)), fallbackUsed: false };
      } catch (first) {
        const error = classify(first);
        if (error.kind !== 'try_fallback' || fallbackModel === model) throw error.failure;
        try {
          return { ...(await call(fallbackModel, messages, maxTokens, signal)), fallbackUsed: true };
        } catch (second) {
          throw classify(second).failure;
        }
      }
    },
  };
}

/** What an AI error means for the next step: wait for Retry-After, give up, or try the fallback model. */
function classify(error: unknown): { kind: 'rate_limited' | 'rejected' | 'try_fallback'; failure: Error } {
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    if (status === 429) {
      const seconds = Number(error.headers?.get?.('retry-after') ?? 1);
      return {
        kind: 'rate_limited',
        failure: retryAfter(
          'AiRateLimited',
          `AI rate limited: ${error.message}`,
          (Number.isFinite(seconds) ? seconds : 1) * 1000,
        ),
      };
    }
    // A bad key or a forbidden request: no model and no retry can fix it.
    if (status === 401 || status === 403)
      return { kind: 'rejected', failure: aiRejected(`AI request rejected (${status}): ${error.message}`, error) };
    // 400 (e.g. a model-specific limit) and 404 (unknown model) may pass on the fallback model.
    if (status === 400 || status === 404 || status === 422) {
      return { kind: 'try_fallback', failure: aiRejected(`AI request rejected (${status}): ${error.message}`, error) };
    }
  }
  return { kind: 'try_fallback', failure: error instanceof Error ? error : new Error(String(error)) };
}
