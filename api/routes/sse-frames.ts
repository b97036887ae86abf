import type { SSEMessage } from '@fastify/sse';
import type { FastifyReply } from 'fastify';

export interface FrameQueueLimits {
  /** Frames waiting for the socket to drain: past this many the client is too slow. */
  maxQueued: number;
  /** Bytes already buffered in the socket: past this the client is too slow. */
  maxBufferedBytes: number;
}

/**
 * Sends one stream's frames in order, one at a time. @fastify/sse's `send` waits for 'drain' when
 * the socket's buffer is full and adds a 'drain' and an 'error' listener while it waits, so sends
 * fired without waiting piled those up on the response behind a slow client (Node's
 * MaxListenersExceededWarning in CI). Frames wait here instead; past the limits `onTooSlow` runs
 * (the route drops the client, which reconnects and reloads) and nothing more is queued.
 */
export function frameQueue(reply: FastifyReply, limits: FrameQueueLimits, onTooSlow: () => void) {
  let queued = 0;
  let tail: Promise<void> = Promise.resolve();
  return function send(message: SSEMessage): void {
    if (!reply.sse.isConnected) return;
    if (queued >= limits.maxQueued || reply.raw.writableLength > limits.maxBufferedBytes) {
      onTooSlow();
      return;
    }
    queued++;
    tail = tail
      .then(() => (reply.sse.isConnected ? reply.sse.send(message) : undefined))
      .catch(() => reply.sse.close())
      .finally(() => {
        queued--;
      });
  };
}
