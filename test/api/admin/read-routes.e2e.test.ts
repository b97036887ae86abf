import { Client, Connection } from '@temporalio/client';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactForAnalyst } from '../../../api/redact.js';
import { workflowSummary } from '../../../api/temporal-history.js';
import { maskPhone } from '../../../domain/phone.js';
import { migrateReadModels } from '../../../projections/migrate.js';
import { READ_MODELS } from '../../../projections/registry.js';
import { type RunningProjectors, startProjectors } from '../../../projections/runtime/start.js';
import { until } from '../../projections/support/harness.js';
import { useSmsStack } from '../../support/sms-stack.js';
import { nextPhone, untilStep } from '../../workflows/helpers.js';

const READ_ROUTES = [
  '/api/tasks',
  '/api/tasks/{messageSid}',
  '/api/failures',
  '/api/users',
  '/api/users/{phone}',
  '/api/analytics/summary',
  '/api/analytics/timeseries',
  '/api/projections',
];

// Distinctive texts, so a test can say they appear nowhere in an analyst's answer.
const QUESTION = 'How do I reverse a list in Python, "quickly", please?';
const SECOND = 'What is the capital of Australia?';
const FAILING = 'Explain recursion with an example in JavaScript';
const ANSWER = 'Use reversed(xs) or xs[::-1]. SECRET-ANSWER-7731';

describe('admin API: read routes', () => {
  const stack = useSmsStack();
  const alice = nextPhone();
  const bob = nextPhone();
  const sids = { question: '', second: '', failed: '' };
  let projectors: RunningProjectors | undefined;

  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, read in assertions
  type Json = Record<string, any>;
  const get = async (url: string, token: string | null = stack.config.ADMIN_API_TOKEN as string) => {
    const response = await stack.app.inject({
      method: 'GET',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const isJson = String(response.headers['content-type']).startsWith('application/json');
    return {
      status: response.statusCode,
      body: (isJson ? response.json() : {}) as Json,
      text: response.body,
      response,
    };
  };

  beforeAll(async () => {
    stack.openai.knobs.reply = ANSWER;
    const first = await stack.sendSms({ from: alice, body: QUESTION });
    sids.question = first.sid;
    expect(await stack.handle(first.sid).result()).toEqual({ outcome: 'answered' });
    const second = await stack.sendSms({ from: alice, body: SECOND });
    sids.second = second.sid;
    await stack.handle(second.sid).result();
    // A 401 from the AI is not retried: the task fails at once and waits for ops.
    stack.openai.knobs.failAlways(401);
    const failed = await stack.sendSms({ from: bob, body: FAILING });
    sids.failed = failed.sid;
    await untilStep(stack, failed.sid, 'needs_attention');
    stack.openai.knobs.heal();

    const databaseUrl = stack.config.DATABASE_URL as string;
    await migrateReadModels(databaseUrl);
    projectors = startProjectors({ store: stack.store, databaseUrl, tuning: { lingerMs: 5, lockPollMs: 100 } });
    const want = JSON.stringify({ settled: 3, errors: 1, users: 2, stats: 3, messages: 5 });
    await until(
      async () => {
        const { rows } = await stack.pool.query(
          `SELECT (SELECT count(*) FROM read_models.tasks WHERE status IN ('completed', 'failed'))::int AS settled,
                  (SELECT count(*) FROM read_models.error_logs)::int AS errors,
                  (SELECT count(*) FROM read_models.users)::int AS users,
                  (SELECT coalesce(sum(received), 0) FROM read_models.daily_stats)::int AS stats,
                  (SELECT count(*) FROM read_models.messages)::int AS messages`,
        );
        return JSON.stringify(rows[0]) === want;
      },
      60_000,
      `read models to hold ${want}`,
    );
  }, 120_000);
  afterAll(async () => {
    await projectors?.stop();
    await stack
      .handle(sids.failed)
      .terminate('test done')
      .catch(() => {});
  });

  it('answers 401 on every read route without a credential', async () => {
    for (const path of READ_ROUTES) {
      const url = path.replace('{messageSid}', sids.question).replace('{phone}', encodeURIComponent(alice));
      const answer = await get(url.endsWith('timeseries') ? `${url}?metric=sms` : url, null);
      expect(answer.status, url).toBe(401);
      expect(answer.body).toMatchObject({ error: 'Unauthorized', statusCode: 401 });
    }
  });

  it('GET /api/tasks: newest first, every filter, and a cursor that walks all rows once', async () => {
    const all = await get('/api/tasks');
    expect(all.status).toBe(200);
    expect(all.body.items.map((t: Json) => t.messageSid)).toEqual([sids.failed, sids.second, sids.question]);
    expect(all.body.nextCursor).toBeNull();

    const ids = async (query: string) => (await get(`/api/tasks?${query}`)).body.items.map((t: Json) => t.messageSid);
    expect(await ids('status=failed')).toEqual([sids.failed]);
    expect(await ids(`phone=${encodeURIComponent(alice)}`)).toEqual([sids.second, sids.question]);
    const category = all.body.items[2].category as string;
    expect(await ids(`category=${category}`)).toContain(sids.question);
    expect(await ids('category=nonexistent')).toEqual([]);
    expect(await ids('tier=free')).toHaveLength(3);
    expect(await ids('tier=premium')).toEqual([]);
    expect(await ids(`q=${encodeURIComponent('australia')}`)).toEqual([sids.second]);
    expect(await ids(`q=${encodeURIComponent('100%_')}`)).toEqual([]);
    const created = Date.parse(all.body.items[1].createdAt);
    expect(await ids(`from=${new Date(created).toISOString()}`)).toEqual([sids.failed, sids.second]);
    expect(await ids(`to=${new Date(created).toISOString()}`)).toEqual([sids.question]);

    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Json } = await get(`/api/tasks?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      walked.push(...page.body.items.map((t: Json) => t.messageSid));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(walked).toEqual([sids.failed, sids.second, sids.question]);

    for (const bad of [
      'status=exploded',
      'from=yesterday',
      'cursor=not-a-cursor',
      'limit=0',
      'limit=501',
      'format=xml',
    ]) {
      const answer = await get(`/api/tasks?${bad}`);
      expect(answer.status, bad).toBe(400);
      expect(answer.body).toMatchObject({ statusCode: 400, error: expect.any(String), message: expect.any(String) });
    }
  });

  it('GET /api/tasks?format=csv streams the same rows, quoted as CSV', async () => {
    const answer = await get('/api/tasks?format=csv');
    expect(answer.status).toBe(200);
    expect(answer.response.headers['content-type']).toMatch(/^text\/csv/);
    expect(answer.response.headers['content-disposition']).toContain('tasks.csv');
    const rows = parse(answer.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.messageSid)).toEqual([sids.failed, sids.second, sids.question]);
    expect(rows[2]).toMatchObject({ smsContent: QUESTION, aiResponse: ANSWER, userPhone: alice, status: 'completed' });
    const filtered = parse((await get('/api/tasks?format=csv&status=failed')).text, { columns: true }) as Json[];
    expect(filtered.map((r: Json) => r.messageSid)).toEqual([sids.failed]);
  });

  it('GET /api/tasks/:messageSid: the row, its events in order, its workflow history in brief and a Temporal UI link', async () => {
    const answer = await get(`/api/tasks/${sids.question}`);
    expect(answer.status).toBe(200);
    const { task, events, workflow, temporalUiUrl } = answer.body;
    expect(task).toMatchObject({
      messageSid: sids.question,
      userPhone: alice,
      smsContent: QUESTION,
      status: 'completed',
    });
    expect(events.map((e: Json) => e.type)).toEqual([
      'SmsReceived',
      'TaskClassified',
      'AiResponseGenerated',
      'ReplyIntentRecorded',
      'ReplySent',
      'TaskCompleted',
    ]);
    expect(events.map((e: Json) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(workflow).toMatchObject({ available: true, workflowId: `sms-${sids.question}`, status: 'COMPLETED' });
    expect(workflow.events[0]).toMatchObject({ id: 1, type: 'WorkflowExecutionStarted', time: expect.any(String) });
    expect(workflow.events.at(-1).type).toBe('WorkflowExecutionCompleted');
    expect(workflow.activities).toContainEqual(expect.objectContaining({ status: 'completed', attempts: 1 }));
    expect(temporalUiUrl).toBe(`http://localhost:8233/namespaces/default/workflows/sms-${sids.question}`);

    const failed = (await get(`/api/tasks/${sids.failed}`)).body;
    expect(failed.task.status).toBe('failed');
    expect(failed.events.map((e: Json) => e.type)).toContain('TaskFailed');
    expect(failed.workflow.activities).toContainEqual(expect.objectContaining({ status: 'failed', attempts: 1 }));
    expect(failed.workflow.failures.length).toBeGreaterThan(0);
    // Failure texts are encrypted in the history (the stack sets TEMPORAL_PAYLOAD_KEYS); the summary decrypts them.
    const lastFailure = failed.workflow.activities.find((a: Json) => a.status === 'failed').lastFailure as string;
    expect(lastFailure).toEqual(expect.any(String));
    expect(lastFailure).not.toBe('Encoded failure');
    expect(lastFailure).toMatch(/401|reject/i);

    expect((await get('/api/tasks/SMdoesnotexist')).status).toBe(404);
    expect((await get(`/api/tasks/${'x'.repeat(65)}`)).status).toBe(400);
  });

  it('a task page says Temporal is unavailable, quickly, when it cannot be reached', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    const started = Date.now();
    const summary = await workflowSummary(new Client({ connection }), `sms-${sids.question}`);
    expect(summary).toMatchObject({ available: false, error: expect.stringMatching(/^Temporal unavailable/) });
    expect(Date.now() - started).toBeLessThan(5_000);
    // Not closed: the client's own retries of the abandoned call still run, and would throw on a closed channel.
  });

  it('GET /api/failures: the failed task with its last error', async () => {
    const answer = await get('/api/failures');
    expect(answer.status).toBe(200);
    expect(answer.body.items).toHaveLength(1);
    expect(answer.body.items[0]).toMatchObject({
      task: { messageSid: sids.failed, status: 'failed' },
      lastError: { type: 'AiRequestRejected', step: 'ai', attempts: 1, round: 0 },
    });
    expect((await get('/api/failures?limit=0')).status).toBe(400);
    expect((await get('/api/failures?cursor=%%%')).status).toBe(400);
  });

  it('GET /api/users and /api/users/:phone: search, profile, usage per quota window, cost and conversation', async () => {
    const list = await get('/api/users');
    expect(list.status).toBe(200);
    expect(list.body.items.map((u: Json) => u.phone).sort()).toEqual([alice, bob].sort());
    const phones = async (query: string) => (await get(`/api/users?${query}`)).body.items.map((u: Json) => u.phone);
    expect(await phones(`search=${alice.slice(-4)}`)).toEqual([alice]);
    expect(await phones('tier=premium')).toEqual([]);
    expect(await phones('optedOut=true')).toEqual([]);
    expect((await get('/api/users?limit=1')).body.nextCursor).toEqual(expect.any(String));
    for (const bad of ['search=abc', 'optedOut=maybe', 'limit=9999', `tier=${'x'.repeat(33)}`]) {
      expect((await get(`/api/users?${bad}`)).status, bad).toBe(400);
    }

    const detail = await get(`/api/users/${encodeURIComponent(alice)}`);
    expect(detail.status).toBe(200);
    expect(detail.body.user).toMatchObject({ phone: alice, tier: 'free', totalRequests: 2 });
    const month = detail.body.usage.windows.find((w: Json) => w.window === 'month');
    expect(detail.body.usage.tier).toBe('free');
    expect(month).toMatchObject({ used: 2, limit: 200 });
    expect(detail.body.usage.windows.map((w: Json) => w.window)).toEqual(['minute', 'day', 'month']);
    expect(detail.body.cost.tasks).toBe(2);
    expect(detail.body.cost.tokens).toBeGreaterThan(0);
    expect(detail.body.conversation.items.map((m: Json) => [m.direction, m.body])).toEqual([
      ['in', QUESTION],
      ['out', ANSWER],
      ['in', SECOND],
      ['out', ANSWER],
    ]);
    expect((await get(`/api/users/${encodeURIComponent('+19995550000')}`)).status).toBe(404);
  });

  it('GET /api/analytics/summary and /timeseries from the read models', async () => {
    const summary = await get('/api/analytics/summary');
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ sms: 3, answered: 2, completed: 2, failed: 1 });
    expect(summary.body.successRate).toBeCloseTo(2 / 3, 3);
    expect(summary.body.p95LatencyMs).toBeGreaterThanOrEqual(summary.body.p50LatencyMs);
    expect(summary.body.tokens).toBeGreaterThan(0);
    const future = await get(`/api/analytics/summary?from=${new Date(Date.now() + 3_600_000).toISOString()}`);
    expect(future.body).toMatchObject({ sms: 0, successRate: null });

    for (const groupBy of ['category', 'tier', 'model']) {
      const series = await get(`/api/analytics/timeseries?metric=sms&groupBy=${groupBy}&interval=day`);
      expect(series.status).toBe(200);
      expect(series.body.points.reduce((n: number, p: Json) => n + p.value, 0)).toBe(3);
    }
    const tiers = await get('/api/analytics/timeseries?metric=success_rate&groupBy=tier');
    expect(tiers.body.points).toEqual([{ bucket: expect.any(String), group: 'free', value: expect.closeTo(2 / 3, 3) }]);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const hourly = await get(`/api/analytics/timeseries?metric=tokens&interval=hour&from=${from}`);
    expect(hourly.status).toBe(200);
    expect(hourly.body.points.every((p: Json) => p.bucket.endsWith(':00:00.000Z'))).toBe(true);

    for (const bad of [
      'summary?from=nope',
      `summary?from=${new Date().toISOString()}&to=2020-01-01T00:00:00Z`,
      'timeseries',
      'timeseries?metric=drop',
      'timeseries?metric=sms&groupBy=phone',
      'timeseries?metric=sms&interval=week',
      'timeseries?metric=sms&interval=hour',
    ]) {
      expect((await get(`/api/analytics/${bad}`)).status, bad).toBe(400);
    }
  });

  it('GET /api/projections: each read model with checkpoint, lag and state', async () => {
    const answer = await get('/api/projections');
    expect(answer.status).toBe(200);
    expect(answer.body.projections.map((p: Json) => p.name)).toEqual(READ_MODELS.map((m) => m.name));
    for (const p of answer.body.projections) {
      expect(p).toMatchObject({ state: 'caught_up', lagEvents: 0, lagEventsCapped: false });
    }
    expect(answer.body.projections.find((p: Json) => p.name === 'tasks')).toMatchObject({
      checkpoint: expect.any(String),
      eventsProcessed: expect.any(Number),
    });
    expect(answer.body.projections.find((p: Json) => p.name === 'tasks').eventsProcessed).toBeGreaterThan(0);
  });

  it('an analyst sees no message text and no full phone number, in lists, details and the CSV alike', async () => {
    const created = await stack.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: { authorization: `Bearer ${stack.config.ADMIN_API_TOKEN}` },
      payload: { name: 'analyst', role: 'analyst' },
    });
    expect(created.statusCode).toBe(201);
    const analyst = created.json().token as string;
    // Fragments without quotes, so JSON and CSV escaping cannot hide a leak.
    const secrets = [
      alice.slice(1),
      bob.slice(1),
      alice.slice(-7),
      'reverse a list',
      'capital of Australia',
      'recursion with an example',
      'SECRET-ANSWER',
    ];
    const urls = [
      '/api/tasks',
      '/api/tasks?format=csv',
      `/api/tasks/${sids.question}`,
      `/api/tasks/${sids.failed}`,
      '/api/failures',
      '/api/users',
      `/api/users/${encodeURIComponent(alice)}`,
    ];
    for (const url of urls) {
      const answer = await get(url, analyst);
      expect(answer.status, url).toBe(200);
      for (const secret of secrets) expect(answer.text, `${url} shows ${secret}`).not.toContain(secret);
    }
    const task = (await get(`/api/tasks/${sids.question}`, analyst)).body;
    expect(task.task).toMatchObject({ userPhone: maskPhone(alice), smsContent: null, aiResponse: null });
    expect(task.events[0].data).toMatchObject({ from: maskPhone(alice), body: null });
    const user = (await get(`/api/users/${encodeURIComponent(alice)}`, analyst)).body;
    expect(user.user.phone).toBe(maskPhone(alice));
    expect(user.conversation.items.every((m: Json) => m.body === null)).toBe(true);
    // Searching texts is no way around it: q does not look into bodies for an analyst.
    expect((await get('/api/tasks?q=australia', analyst)).body.items).toEqual([]);
    // The same function on the admin's answer gives the analyst's answer.
    const admin = (await get('/api/tasks')).body;
    expect(redactForAnalyst(admin)).toEqual((await get('/api/tasks', analyst)).body);
    // Admins see everything.
    expect((await get(`/api/tasks/${sids.question}`)).body.task).toMatchObject({
      smsContent: QUESTION,
      userPhone: alice,
    });
  });

  it('SQL injection and oversized values in any filter change nothing and never give a 5xx', async () => {
    const before = await stack.pool.query('SELECT count(*)::int AS n FROM read_models.tasks');
    const hostile = ["' OR '1'='1", "'; DROP TABLE read_models.tasks; --", '1) OR (1=1', '%', '\\', 'x'.repeat(10_000)];
    const params: Record<string, string[]> = {
      '/api/tasks': ['status', 'category', 'tier', 'phone', 'from', 'to', 'q', 'cursor', 'limit', 'format'],
      '/api/failures': ['cursor', 'limit'],
      '/api/users': ['search', 'tier', 'optedOut', 'cursor', 'limit'],
      '/api/analytics/summary': ['from', 'to'],
      '/api/analytics/timeseries?metric=sms': ['metric', 'groupBy', 'interval', 'from', 'to'],
    };
    for (const [route, names] of Object.entries(params)) {
      for (const name of names) {
        for (const value of hostile) {
          const url = `${route}${route.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
          const answer = await get(url);
          expect(answer.status, url.slice(0, 120)).toBeLessThan(500);
          if (answer.status === 200 && answer.body.items) {
            // A text filter that matched must not have widened the result to everything.
            expect(answer.body.items.length, url.slice(0, 120)).toBeLessThanOrEqual(name === 'q' ? 0 : 3);
          }
        }
      }
    }
    for (const value of hostile) {
      for (const path of ['/api/tasks/', '/api/users/']) {
        const answer = await get(`${path}${encodeURIComponent(value)}`);
        // 414 for a path past the server's URL limit.
        expect([400, 404, 414]).toContain(answer.status);
      }
    }
    const after = await stack.pool.query('SELECT count(*)::int AS n FROM read_models.tasks');
    expect(after.rows[0].n).toBe(before.rows[0].n);
    expect(after.rows[0].n).toBe(3);
  });

  it('GET /openapi.json (OpenAPI 3, public) lists every read route with its security and error answers; /docs serves the UI', async () => {
    const answer = await get('/openapi.json', null);
    expect(answer.status).toBe(200);
    const doc = answer.body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer' },
      cookieAuth: { type: 'apiKey', in: 'cookie' },
    });
    for (const path of READ_ROUTES) {
      const operation = doc.paths[path]?.get;
      expect(operation, path).toBeDefined();
      expect(operation.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
    }
    expect(Object.keys(doc.paths['/api/tasks/{messageSid}'].get.responses)).toContain('404');
    expect(Object.keys(doc.paths['/api/users/{phone}'].get.responses)).toContain('404');
    // Every other /api route says it needs a credential too, whoever wrote it; login alone is open.
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Json>)) {
      if (!path.startsWith('/api/')) continue;
      for (const [method, operation] of Object.entries(operations as Record<string, Json>)) {
        if (path === '/api/auth/login') continue;
        // The dev sign-in link carries its own one-time token (dev only, loopback only), no bearer.
        if (path !== '/api/auth/dev-link') {
          expect(operation.security, `${method} ${path}`).toEqual(expect.arrayContaining([{ bearerAuth: [] }]));
        }
        expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
    // Routes registered before ours appear too.
    expect(doc.paths['/health']).toBeDefined();
    expect(doc.paths['/sms/receive']).toBeDefined();
    const docs = await stack.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
  });
});
