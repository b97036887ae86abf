import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import liveChanges, { type LiveChange } from '../../api/plugins/live-changes.js';
import postgres from '../../api/plugins/postgres.js';
import readiness from '../../api/plugins/readiness.js';
import { maskPhone } from '../../domain/phone.js';
import { createLogger } from '../../infra/logger.js';
import { taskId } from '../../projections/tasks/index.js';
import { useSmsStack } from '../support/sms-stack.js';
import { nextPhone, untilStep } from '../workflows/helpers.js';
import { api, tokenFor, useProjections } from './actions/helpers.js';
import { call, login, newAccount } from './auth/helpers.js';

interface Frame {
  event: string;
  data: Record<string, unknown>;
}

/** An open GET /api/stream over real HTTP: its frames as they come, and whether it has ended. */
async function openStream(apiUrl: string, credential: string | { cookie: string }) {
  const controller = new AbortController();
  const auth = typeof credential === 'string' ? { authorization: `Bearer ${credential}` } : credential;
  const response = await fetch(`${apiUrl}/api/stream`, {
    headers: { ...auth, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const frames: Frame[] = [];
  const comments: string[] = [];
  let ended = false;
  let retry: number | undefined;
  const reading = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
            else if (line.startsWith('retry: ')) retry = Number(line.slice(7));
          }
          if (data.length > 0) frames.push({ event, data: JSON.parse(data.join('\n')) });
        }
      }
    } catch {
      // aborted by the test
    } finally {
      ended = true;
    }
  })();
  const stream = {
    response,
    frames,
    comments,
    get ended() {
      return ended;
    },
    get retry() {
      return retry;
    },
    of: (event: string, sid?: string) =>
      frames.filter(
        (f) =>
          f.event === event &&
          (sid === undefined ||
            f.data.messageSid === sid ||
            (f.data.task as { messageSid?: string })?.messageSid === sid),
      ),
    close: async () => {
      controller.abort();
      await reading;
    },
  };
  if (response.status === 200) await expect.poll(() => stream.of('ready').length, { timeout: 5_000 }).toBe(1);
  return stream;
}

const QUESTION = 'What is the capital of Norway?';

describe('GET /api/stream (Server-Sent Events of the read models)', () => {
  const stack = useSmsStack();
  useProjections(stack, ['tasks', 'error_logs']);
  const adminToken = () => stack.config.ADMIN_API_TOKEN as string;

  it('an SMS through the pipeline produces task frames up to its final status, each row as GET /api/tasks lists it', async () => {
    const stream = await openStream(stack.apiUrl, adminToken());
    try {
      expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
      expect(stream.retry).toBeGreaterThan(0);
      const from = nextPhone();
      const sent = await stack.sendSms({ from, body: QUESTION });
      await expect
        .poll(() => stream.of('task', sent.sid).map((f) => f.data.status), { timeout: 30_000, interval: 100 })
        .toContain('completed');
      const last = stream.of('task', sent.sid).at(-1) as Frame;
      const listed = await api(stack, 'GET', `/api/tasks?phone=${encodeURIComponent(from)}`);
      expect(last.data).toEqual((listed.body.items as unknown[])[0]);
      expect(last.data).toMatchObject({ userPhone: from, smsContent: QUESTION });
    } finally {
      await stream.close();
    }
  });

  it("an analyst's frames carry a masked number and no message text", async () => {
    const stream = await openStream(stack.apiUrl, await tokenFor(stack, 'analyst'));
    try {
      const from = nextPhone();
      const sent = await stack.sendSms({ from, body: QUESTION });
      await expect
        .poll(() => stream.of('task', sent.sid).map((f) => f.data.status), { timeout: 30_000, interval: 100 })
        .toContain('completed');
      for (const frame of stream.of('task', sent.sid)) {
        expect(frame.data).toMatchObject({ userPhone: maskPhone(from), smsContent: null, aiResponse: null });
      }
      expect(JSON.stringify(stream.frames)).not.toContain(from);
      expect(JSON.stringify(stream.frames)).not.toContain(QUESTION);
    } finally {
      await stream.close();
    }
  });

  it('a task landing in NEEDS_ATTENTION gives a failure frame as GET /api/failures lists it, and its retry a resolved one', async () => {
    const stream = await openStream(stack.apiUrl, await tokenFor(stack, 'ops'));
    try {
      stack.openai.knobs.failAlways(401);
      const sent = await stack.sendSms({ from: nextPhone(), body: QUESTION });
      await untilStep(stack, sent.sid, 'needs_attention');
      // The failure item gets its last error once error_logs has projected it
      await expect
        .poll(() => stream.of('failure', sent.sid).some((f) => f.data.lastError !== null), { timeout: 15_000 })
        .toBe(true);
      const item = stream.of('failure', sent.sid).at(-1) as Frame;
      const listed = await api(stack, 'GET', '/api/failures');
      expect(listed.body.items).toContainEqual(item.data);
      expect(item.data).toMatchObject({ task: { status: 'failed' }, lastError: { type: expect.any(String) } });

      stack.openai.knobs.heal();
      expect((await api(stack, 'POST', `/api/tasks/${sent.sid}/retry`, { body: {} })).status).toBe(200);
      await expect
        .poll(() => stream.of('failure', sent.sid).at(-1)?.data, { timeout: 30_000, interval: 100 })
        .toEqual({ id: expect.any(String), messageSid: sent.sid, resolved: true });
      await expect
        .poll(() => stream.of('task', sent.sid).at(-1)?.data.status, { timeout: 30_000, interval: 100 })
        .toBe('completed');
    } finally {
      await stream.close();
    }
  });

  it('is in the OpenAPI document as text/event-stream (so the access-matrix test covers it)', async () => {
    const doc = (await stack.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const operation = doc.paths['/api/stream'].get;
    expect(Object.keys(operation.responses['200'].content)).toEqual(['text/event-stream']);
    expect(operation.responses['401']).toBeDefined();
  });

  it('401 without credentials; the open-streams gauge counts streams', async () => {
    const anonymous = await fetch(`${stack.apiUrl}/api/stream`, { headers: { accept: 'text/event-stream' } });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ statusCode: 401 });

    const gauge = async () => {
      const text = await stack.app.metrics.getSingleMetricAsString('sms_agent_sse_clients');
      return Number(/sms_agent_sse_clients (\d+)/.exec(text)?.[1]);
    };
    const before = await gauge();
    const stream = await openStream(stack.apiUrl, adminToken());
    expect(await gauge()).toBe(before + 1);
    await stream.close();
    await expect.poll(gauge, { timeout: 5_000 }).toBe(before);
  });

  it('the LISTEN connection survives its backend being terminated: a reset, then frames keep coming', async () => {
    const stream = await openStream(stack.apiUrl, adminToken());
    try {
      const { rowCount } = await stack.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sms-agent api live-changes'`,
      );
      expect(rowCount).toBeGreaterThan(0);
      // Notifications sent while it reconnected are lost, so clients are told to reload
      await expect
        .poll(() => stream.of('reset').map((f) => f.data.model), { timeout: 15_000, interval: 100 })
        .toEqual(expect.arrayContaining(['tasks', 'error_logs']));
      const sent = await stack.sendSms({ from: nextPhone(), body: QUESTION });
      await expect
        .poll(() => stream.of('task', sent.sid).map((f) => f.data.status), { timeout: 30_000, interval: 100 })
        .toContain('completed');
    } finally {
      await stream.close();
    }
  });

  it('a rebuild of tasks sends one reset frame for it, not a frame per replayed row', async () => {
    const stream = await openStream(stack.apiUrl, adminToken());
    try {
      // A row the tests before announced once more (its last batch read back before this stream
      // opened) can still arrive: let the stream go quiet first, and count only what comes after.
      let seen = -1;
      await expect
        .poll(
          () => {
            const now = stream.of('task').length;
            const settled = now === seen;
            seen = now;
            return settled;
          },
          { timeout: 15_000, interval: 1_000 },
        )
        .toBe(true);
      const before = stream.of('task').length;
      const started = await api(stack, 'POST', '/api/projections/tasks/rebuild', { body: { reason: 'stream test' } });
      expect(started.status).toBe(202);
      const id = started.body.id as string;
      await expect
        .poll(async () => (await api(stack, 'GET', `/api/projections/rebuilds/${id}`)).body.state, { timeout: 30_000 })
        .toBe('succeeded');
      await expect.poll(() => stream.of('reset').map((f) => f.data), { timeout: 5_000 }).toEqual([{ model: 'tasks' }]);
      expect(stream.of('task')).toHaveLength(before);
    } finally {
      await stream.close();
    }
  });

  it('the listener ignores other schemas and bad payloads, answers a failure no longer listed with resolved, and a burst with reset', async () => {
    const app = Fastify({ logger: false });
    await app.register(readiness);
    await app.register(postgres, { pool: stack.pool });
    await app.register(liveChanges, { coalesceMs: 300, maxRowsPerFlush: 2 });
    await app.ready();
    const heard: LiveChange[] = [];
    app.liveChanges.subscribe((change) => heard.push(change));
    try {
      await expect.poll(() => app.liveChanges.listening, { timeout: 5_000 }).toBe(true);
      const notify = (payload: unknown) =>
        stack.pool.query(`SELECT pg_notify('read_model_changes', $1)`, [
          typeof payload === 'string' ? payload : JSON.stringify(payload),
        ]);
      await notify('not json');
      await notify({ schema: 'rm_other', model: 'tasks', ids: { tasks: ['SMother'] } });
      await notify({ schema: 'read_models', model: 'error_logs', ids: { failures: ['SMgone'] } });
      await notify({ schema: 'read_models', model: 'tasks', ids: { tasks: ['SMa', 'SMb', 'SMc'] } });
      await expect.poll(() => heard.length, { timeout: 5_000 }).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(heard).toHaveLength(2);
      expect(heard).toEqual(
        expect.arrayContaining([
          { event: 'reset', data: { model: 'tasks' } },
          { event: 'failure', data: { id: taskId('SMgone'), messageSid: 'SMgone', resolved: true } },
        ]),
      );
    } finally {
      await app.close();
    }
  });

  it('app.close() ends open streams instead of waiting for them', async () => {
    const app = await buildApp({
      config: stack.config,
      logger: createLogger({ level: 'silent' }),
      pool: stack.pool,
      temporal: stack.client,
      store: stack.store,
      inbox: { enabled: false },
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const stream = await openStream(url, adminToken());
    const closing = Date.now();
    await app.close();
    expect(Date.now() - closing).toBeLessThan(3_000);
    await expect.poll(() => stream.ended, { timeout: 3_000 }).toBe(true);
    await stream.close();
  });

  it("a revoked token's stream and a signed-out session's stream end at the next heartbeat (15 s)", {
    timeout: 40_000,
  }, async () => {
    const created = await api(stack, 'POST', '/api/tokens', { body: { name: `watcher-${Date.now()}`, role: 'ops' } });
    const byToken = await openStream(stack.apiUrl, created.body.token as string);
    const account = await newAccount(stack, 'analyst');
    const session = await login(stack, account.email, account.password);
    expect(session.response.status).toBe(200);
    const bySession = await openStream(stack.apiUrl, { cookie: session.cookie });
    expect(bySession.of('ready')[0]?.data).toEqual({ role: 'analyst' });

    const revoked = await stack.app.inject({
      method: 'DELETE',
      url: `/api/tokens/${created.body.id as string}`,
      headers: { authorization: `Bearer ${adminToken()}` },
    });
    expect(revoked.statusCode).toBe(204);
    const out = await call(stack, 'POST', '/api/auth/logout', {
      cookie: session.cookie,
      csrf: session.body.csrfToken as string,
    });
    expect(out.status).toBeLessThan(300);
    expect(byToken.ended).toBe(false);
    expect(bySession.ended).toBe(false);
    await expect.poll(() => byToken.ended && bySession.ended, { timeout: 20_000, interval: 200 }).toBe(true);
    expect(byToken.comments).toEqual([]);
    await byToken.close();
    await bySession.close();
  });
});
