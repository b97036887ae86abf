import net from 'node:net';
import sse, { type SSEPluginOptions } from '@fastify/sse';
import Fastify, { type FastifyPluginAsync, type FastifyReply } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { frameQueue } from '../../api/routes/sse-frames.js';

/**
 * The live stream's frame queue against the real @fastify/sse over a real socket, with a client
 * that does not read: the case behind Node's MaxListenersExceededWarning in CI.
 */
const FRAME = 'x'.repeat(16_384);

/** `frames` frames of 16 KB, sent in bursts of `burst` every 10 ms, as live changes come. */
async function server(frames: number, maxQueued: number, burst = frames) {
  const app = Fastify({ logger: false });
  await app.register(sse as unknown as FastifyPluginAsync<SSEPluginOptions>);
  const seen = { tooSlow: 0, maxDrainListeners: 0 };
  const open = new Set<FastifyReply>();
  app.addHook('preClose', async () => {
    for (const reply of open) reply.sse.close();
  });
  app.get('/frames', { sse: { kind: 'only', heartbeat: false } }, async (_request, reply) => {
    reply.sse.keepAlive();
    open.add(reply);
    const send = frameQueue(reply, { maxQueued, maxBufferedBytes: 64 * 1024 * 1024 }, () => {
      seen.tooSlow++;
      reply.sse.close();
    });
    let next = 0;
    const sendBurst = () => {
      for (const end = Math.min(frames, next + burst); next < end; next++)
        send({ event: 'n', data: { i: next, pad: FRAME } });
      if (next >= frames) clearInterval(bursts);
    };
    const bursts = setInterval(sendBurst, 10);
    sendBurst();
    const watch = setInterval(() => {
      seen.maxDrainListeners = Math.max(seen.maxDrainListeners, reply.raw.listenerCount('drain'));
    }, 5);
    reply.sse.onClose(() => {
      clearInterval(watch);
      clearInterval(bursts);
    });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { app, port: address.port, seen };
}

/** A client that sends the request, reads nothing for `pauseMs`, then reads to the end. */
function slowClient(port: number, pauseMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('error', reject);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write('GET /frames HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n');
    socket.pause();
    setTimeout(() => socket.resume(), pauseMs);
  });
}

const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
process.on('warning', onWarning);
afterEach(() => {
  warnings.length = 0;
});

describe('SSE frame queue (the live stream behind a slow client)', () => {
  it('given 500 frames of 16 KB (8 MB) to a client that reads nothing for a second, then they arrive in order, one drain listener at most', async () => {
    const { app, port, seen } = await server(500, 2_000);
    try {
      const reading = slowClient(port, 1_000);
      // The frames are all queued; once the client reads they drain, and the stream stays open.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await app.close();
      const body = await reading;
      const numbers = [...body.matchAll(/"i":(\d+)/g)].map((m) => Number(m[1]));
      expect(numbers).toEqual(Array.from({ length: 500 }, (_, i) => i));
      expect(seen.tooSlow).toBe(0);
      expect(seen.maxDrainListeners).toBeGreaterThanOrEqual(1); // it did wait for the socket
      expect(seen.maxDrainListeners).toBeLessThanOrEqual(1);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('given more frames than the queue holds for a client that reads nothing, then the client is dropped and nothing piles up', async () => {
    const { app, port, seen } = await server(2_000, 100, 20);
    try {
      const reading = slowClient(port, 1_000);
      await expect.poll(() => seen.tooSlow, { timeout: 5_000 }).toBe(1);
      // The response ended; the connection is kept alive (SSE's header) until the server closes.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await app.close();
      const body = await reading;
      expect(seen.tooSlow).toBe(1);
      const numbers = [...body.matchAll(/"i":(\d+)/g)].map((m) => Number(m[1]));
      expect(numbers.length).toBeLessThan(2_000);
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i));
      expect(seen.maxDrainListeners).toBeLessThanOrEqual(1);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
