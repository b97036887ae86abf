import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { smsStream } from '../domain/events/envelope.js';
import {
  fetchedMediaProblem,
  type InboundMedia,
  type MediaPlan,
  normalizeContentType,
  planMedia,
  skippedMediaNote,
} from '../domain/sms/media.js';
import type { SmsTaskInput } from '../workflows/types.js';
import { workflowIdFor } from '../workflows/types.js';
import type { ChatContentPart } from './ai-client.js';
import type { ActivityDeps } from './deps.js';
import { appendEvents, findLast, readStreamOrEmpty } from './event-log.js';

/** The failure types of the media step; MediaRejected is listed as non-retryable in workflows/policies.ts. */
export const MEDIA_ERRORS = { failed: 'MediaFetchFailed', rejected: 'MediaRejected' } as const;
/** The step TaskFailed names when the media could not be fetched (the workflow reads it from the details). */
export const MEDIA_STEP = 'media';

/** A fetch that may work next time (404 while Twilio stores it, 5xx, timeout, network). */
const fetchFailed = (message: string, nonRetryable: boolean, cause?: Error) =>
  ApplicationFailure.create({
    type: MEDIA_ERRORS.failed,
    message,
    nonRetryable,
    cause,
    details: [{ step: MEDIA_STEP }],
  });
/** Media that no retry makes usable (too big, not an image after all). */
const rejected = (message: string) =>
  ApplicationFailure.create({
    type: MEDIA_ERRORS.rejected,
    message,
    nonRetryable: true,
    details: [{ step: MEDIA_STEP }],
  });

export interface FetchedMedia {
  index: number;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  bytes: Buffer;
}

export interface MediaFetchOptions {
  /** HTTP basic auth (Twilio's media URLs ask for the account's credentials). */
  accountSid?: string;
  authToken?: string;
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The last attempt the AI step may make: a failure then is not retried (TaskFailed, ops retry). */
  lastAttempt?: boolean;
}

/**
 * Downloads one media item. Redirects are followed (Twilio answers with a redirect to its storage;
 * fetch drops the Authorization header when the redirect leaves Twilio's origin). The size cap is
 * checked on Content-Length and again while reading, so a lying or absent header cannot exceed it.
 * Error texts name the item's index, never its URL (analysts read TaskFailed).
 */
export async function fetchMedia(url: string, index: number, options: MediaFetchOptions): Promise<FetchedMedia> {
  const what = `MMS media ${index}`;
  const headers: Record<string, string> = {};
  if (options.accountSid && options.authToken) {
    headers.authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const lastAttempt = options.lastAttempt ?? false;
  let response: Response;
  try {
    response = await fetch(url, { headers, redirect: 'follow', signal });
  } catch (error) {
    const reason = timeout.aborted ? `timed out after ${options.timeoutMs} ms` : (error as Error).message;
    throw fetchFailed(`${what} could not be fetched: ${reason}`, lastAttempt, error as Error);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw fetchFailed(`${what} could not be fetched: HTTP ${response.status}`, lastAttempt);
  }
  const contentType = normalizeContentType(response.headers.get('content-type') ?? undefined);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const early = fetchedMediaProblem(
    { contentType, sizeBytes: Number.isFinite(declared) ? declared : 0 },
    options.maxBytes,
  );
  if (early) {
    await response.body?.cancel().catch(() => undefined);
    throw rejected(`${what}: ${early}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > options.maxBytes) throw rejected(`${what}: over ${options.maxBytes} bytes (MMS_MAX_BYTES)`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ApplicationFailure) throw error;
    const reason = timeout.aborted ? `timed out after ${options.timeoutMs} ms` : (error as Error).message;
    throw fetchFailed(`${what} could not be read: ${reason}`, lastAttempt, error as Error);
  }
  const bytes = Buffer.concat(chunks);
  return {
    index,
    contentType,
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes,
  };
}

/** The texter's words and their images as OpenAI content parts (images as base64 data URLs). */
export function visionContent(body: string, fetched: readonly FetchedMedia[], skipped: readonly InboundMedia[]) {
  const text = [body, skippedMediaNote(skipped)].filter((t) => t !== undefined && t.trim() !== '').join('\n\n');
  const parts: ChatContentPart[] = text ? [{ type: 'text', text }] : [];
  for (const m of fetched) {
    parts.push({ type: 'image_url', image_url: { url: `data:${m.contentType};base64,${m.bytes.toString('base64')}` } });
  }
  return parts;
}

/**
 * The media step of the AI activity: for an MMS with images and a vision model, fetches the
 * images (the bytes live only in this call: never in events or Temporal payloads), records
 * MediaFetched once per task, and says which model to ask with which content.
 */
export function createMediaStep(deps: ActivityDeps) {
  const { store, config } = deps;
  async function forVision(
    input: SmsTaskInput,
    options: { lastAttempt: boolean; signal?: AbortSignal; now: Date; heartbeat?: () => void },
  ): Promise<{ model: string; content: ChatContentPart[] } | undefined> {
    const plan = planMedia(input.media, config.OPENAI_MODEL_VISION);
    if (plan.kind !== 'vision') return undefined;
    // Downloads can take MMS_FETCH_TIMEOUT_MS: heartbeat as the AI call does, within its 20 s timeout.
    const beat = options.heartbeat ? setInterval(options.heartbeat, 5_000) : undefined;
    try {
      return await fetchForVision(input, plan, options);
    } finally {
      clearInterval(beat);
    }
  }

  async function fetchForVision(
    input: SmsTaskInput,
    plan: Extract<MediaPlan, { kind: 'vision' }>,
    options: { lastAttempt: boolean; signal?: AbortSignal; now: Date },
  ) {
    const fetchOptions: MediaFetchOptions = {
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      maxBytes: config.MMS_MAX_BYTES,
      timeoutMs: config.MMS_FETCH_TIMEOUT_MS,
      signal: options.signal,
      lastAttempt: options.lastAttempt,
    };
    const fetched = await Promise.all(
      plan.images.map((image) => fetchMedia(image.url, input.media!.indexOf(image), fetchOptions)),
    );
    const stream = smsStream(input.messageSid);
    if (!findLast((await readStreamOrEmpty(store, stream)).events, 'MediaFetched')) {
      // Round 0 whatever the round: one MediaFetched per task, even when a later round fetches again.
      await appendEvents(
        store,
        stream,
        [
          {
            type: 'MediaFetched',
            step: 'media-fetched',
            data: {
              media: fetched.map(({ index, contentType, sizeBytes, sha256 }) => ({
                index,
                contentType,
                sizeBytes,
                sha256,
              })),
            },
          },
        ],
        { correlationId: workflowIdFor(input.messageSid), round: 0, now: options.now },
      );
    }
    return { model: plan.model, content: visionContent(input.body, fetched, plan.skipped) };
  }

  return forVision;
}
