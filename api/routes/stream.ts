import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Gauge } from 'prom-client';
import { SESSION_COOKIE, sha256 } from '../auth/sessions.js';
import { findLiveToken } from '../auth/tokens.js';
import type { LiveChange } from '../plugins/live-changes.js';
import { isAnalyst, redactForAnalyst } from '../redact.js';
import { readResponses, STAFF_SECURITY } from '../schemas/common.js';
import { frameQueue } from './sse-frames.js';

export interface StreamRouteOptions {
  /** Heartbeat comment and credential re-check interval. */
  heartbeatMs?: number;
  /** The `retry:` hint: how long a browser waits before reconnecting. */
  retryMs?: number;
}

const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Frames waiting for a slow client's socket to drain (a burst of changes is a few hundred). */
const MAX_QUEUED_FRAMES = 2_000;

const EventStream = Type.String({
  description:
    'text/event-stream. `event: ready` once subscribed; `event: task` with a task as GET /api/tasks lists it; ' +
    '`event: failure` with an item as GET /api/failures lists it, or {id, messageSid, resolved: true} once it no ' +
    'longer waits; `event: reset` with {model} after a rebuild or a gap (reload). Analysts get masked numbers and ' +
    'no message text. A comment every 15 s; the stream ends when the credential does.',
});

/**
 * GET /api/stream: live changes of the tasks and error_logs read models as Server-Sent Events
 * (framing by @fastify/sse; the rows come from the live-changes plugin). The credential is checked
 * again on every heartbeat, without restarting a session's idle clock: a watching tab alone does
 * not keep a session alive, and a revoked token's stream ends within one heartbeat.
 */
const stream: FastifyPluginAsyncTypebox<StreamRouteOptions> = async (app, options) => {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 3_000;
  const open = new Set<FastifyReply>();
  const clients = new Gauge({
    name: 'sms_agent_sse_clients',
    help: 'Open GET /api/stream connections',
    registers: [app.metrics],
  });

  /** Is the credential this stream was opened with still good? (requireRole checked it at the start.) */
  async function stillSignedIn(request: FastifyRequest): Promise<boolean> {
    const actor = request.actor;
    if (!actor) return false;
    if (actor.kind === 'bootstrap') return true;
    const now = app.authSettings.now();
    if (actor.kind === 'token') {
      const bearer = request.headers.authorization?.slice('Bearer '.length).trim() ?? '';
      return (await findLiveToken(app.pg, bearer, now)) !== undefined;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    if (!cookie) return false;
    const { rowCount } = await app.pg.query(
      `SELECT 1 FROM admin.sessions s JOIN admin.accounts a ON a.id = s.account_id
        WHERE s.id_hash = $1 AND a.disabled_at IS NULL AND s.last_seen_at > $2`,
      [sha256(cookie), new Date(now.getTime() - app.authSettings.idleMs)],
    );
    return (rowCount ?? 0) > 0;
  }

  // Open streams would keep app.close() waiting for ever: end them first.
  app.addHook('preClose', async () => {
    for (const reply of open) reply.sse.close();
  });

  app.get(
    '/api/stream',
    {
      onRequest: app.requireRole(['admin', 'ops', 'analyst']),
      sse: { kind: 'only', heartbeat: false },
      schema: {
        summary: 'Live changes of tasks and failures (Server-Sent Events)',
        tags: ['stream'],
        security: STAFF_SECURITY,
        produces: ['text/event-stream'],
        response: readResponses(EventStream),
      },
    },
    async (request, reply) => {
      const analyst = isAnalyst(request);
      const sse = reply.sse;
      sse.keepAlive();
      open.add(reply);
      clients.inc();
      // A client that does not read would make us buffer without end: drop it; it reconnects and reloads.
      const send = frameQueue(reply, { maxQueued: MAX_QUEUED_FRAMES, maxBufferedBytes: MAX_BUFFERED_BYTES }, () => {
        request.log.warn('live stream: client too slow, closing');
        sse.close();
      });
      // Queued first, so every change comes after it.
      send({ event: 'ready', data: { role: request.actor?.role ?? null }, retry: retryMs });
      const unsubscribe = app.liveChanges.subscribe((change: LiveChange) => {
        const data = analyst ? redactForAnalyst(change.data) : change.data;
        send({ event: change.event, data });
      });
      const heartbeat = setInterval(async () => {
        try {
          if (!(await stillSignedIn(request))) {
            request.log.info({ actor: request.actor?.name }, 'live stream ends: the credential is no longer valid');
            sse.close();
            return;
          }
          if (sse.isConnected) reply.raw.write(': heartbeat\n\n');
        } catch (error) {
          // PostgreSQL away: keep the stream, the next heartbeat checks again.
          request.log.warn({ err: error }, 'live stream: could not re-check the credential');
        }
      }, heartbeatMs);
      sse.onClose(() => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(reply);
        clients.dec();
      });
    },
  );
};

export default stream;
