import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useSmsStack } from '../../support/sms-stack.js';
import { call } from './helpers.js';

describe('API tokens', () => {
  const stack = useSmsStack();
  const bootstrap = () => stack.config.ADMIN_API_TOKEN as string;
  const create = (body: unknown, bearer = bootstrap()) => call(stack, 'POST', '/api/tokens', { bearer, body });

  it('an admin creates a token: shown once, stored only as its SHA-256, listed without secrets, recorded with its actor', async () => {
    const created = await create({ name: 'nightly export', role: 'analyst', expiresInDays: 30 });
    expect(created.status).toBe(201);
    expect(created.response.headers.get('cache-control')).toBe('no-store');
    const token = created.body?.token as string;
    expect(token).toMatch(/^sat_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({
      name: 'nightly export',
      role: 'analyst',
      createdBy: 'ADMIN_API_TOKEN',
      revokedAt: null,
    });
    const days =
      (Date.parse(created.body?.expiresAt as string) - Date.parse(created.body?.createdAt as string)) / 86_400_000;
    expect(days).toBe(30);

    const { rows } = await stack.pool.query('SELECT * FROM admin.api_tokens WHERE id = $1', [created.body?.id]);
    expect(rows[0].token_hash).toEqual(createHash('sha256').update(token).digest());
    expect(JSON.stringify(rows[0])).not.toContain(token.slice(4));

    const list = await call(stack, 'GET', '/api/tokens', { bearer: bootstrap() });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(token.slice(4));
    const listed = ((list.body?.items ?? []) as Record<string, unknown>[]).find((t) => t.id === created.body?.id);
    expect(listed).toEqual({
      id: created.body?.id,
      name: 'nightly export',
      role: 'analyst',
      createdBy: 'ADMIN_API_TOKEN',
      createdAt: created.body?.createdAt,
      expiresAt: created.body?.expiresAt,
      lastUsedAt: null,
      revokedAt: null,
    });

    const events = await stack.events(`token-${created.body?.id}`);
    expect(events.map((e) => [e.type, e.data, e.metadata.actor])).toEqual([
      [
        'ApiTokenCreated',
        { tokenId: created.body?.id, name: 'nightly export', role: 'analyst', expiresAt: created.body?.expiresAt },
        { name: 'ADMIN_API_TOKEN', role: 'admin', kind: 'bootstrap' },
      ],
    ]);
    expect(JSON.stringify(events.map((e) => [e.data, e.metadata]))).not.toContain(token.slice(4));
  });

  it('a token authenticates as its name and role, with no CSRF token needed, and its last use is noted', async () => {
    const { body } = await create({ name: 'ops robot', role: 'ops' });
    const me = await call(stack, 'GET', '/api/auth/me', { bearer: body?.token as string });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ name: 'ops robot', role: 'ops', kind: 'token' });
    const { rows } = await stack.pool.query('SELECT last_used_at FROM admin.api_tokens WHERE id = $1', [body?.id]);
    expect(rows[0].last_used_at).toBeInstanceOf(Date);

    // A change made with an admin token needs no X-CSRF-Token (no browser sends it by itself).
    const admin = await create({ name: 'admin robot', role: 'admin' });
    const made = await create({ name: 'made by a token', role: 'analyst' }, admin.body?.token as string);
    expect(made.status).toBe(201);
    expect(made.body?.createdBy).toBe('admin robot');
    const [event] = await stack.events(`token-${made.body?.id}`);
    expect(event?.metadata.actor).toEqual({ name: 'admin robot', role: 'admin', kind: 'token' });
  });

  it('an analyst or ops token gets 403 on the admin routes; no credentials get 401', async () => {
    for (const role of ['analyst', 'ops']) {
      const { body } = await create({ name: `${role} token`, role });
      const bearer = body?.token as string;
      for (const [method, path, payload] of [
        ['POST', '/api/tokens', { name: 'x', role: 'admin' }],
        ['GET', '/api/tokens', undefined],
        ['DELETE', `/api/tokens/${body?.id}`, undefined],
      ] as const) {
        const denied = await call(stack, method, path, { bearer, body: payload });
        expect([method, path, denied.status, denied.body]).toEqual([
          method,
          path,
          403,
          { error: 'Forbidden', code: 'FORBIDDEN', message: 'Requires role admin', statusCode: 403 },
        ]);
        const anonymous = await call(stack, method, path, { body: payload });
        expect(anonymous.status).toBe(401);
        expect(anonymous.body).toMatchObject({ error: 'Unauthorized', statusCode: 401 });
      }
    }
  });

  it('a revoked token gets 401 at once; revoking again changes nothing; an unknown id is 404', async () => {
    const { body } = await create({ name: 'short lived', role: 'ops' });
    const bearer = body?.token as string;
    expect((await call(stack, 'GET', '/api/auth/me', { bearer })).status).toBe(200);

    expect((await call(stack, 'DELETE', `/api/tokens/${body?.id}`, { bearer: bootstrap() })).status).toBe(204);
    const refused = await call(stack, 'GET', '/api/auth/me', { bearer });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'Unauthorized', statusCode: 401 });

    expect((await call(stack, 'DELETE', `/api/tokens/${body?.id}`, { bearer: bootstrap() })).status).toBe(204);
    const events = await stack.events(`token-${body?.id}`);
    expect(events.map((e) => e.type)).toEqual(['ApiTokenCreated', 'ApiTokenRevoked']);
    expect(events[1]?.metadata.actor).toEqual({ name: 'ADMIN_API_TOKEN', role: 'admin', kind: 'bootstrap' });

    const list = await call(stack, 'GET', '/api/tokens', { bearer: bootstrap() });
    const listed = ((list.body?.items ?? []) as Record<string, unknown>[]).find((t) => t.id === body?.id);
    expect(listed?.revokedAt).toEqual(expect.any(String));

    const unknown = await call(stack, 'DELETE', '/api/tokens/00000000-0000-4000-8000-000000000000', {
      bearer: bootstrap(),
    });
    expect(unknown.status).toBe(404);
    expect((await call(stack, 'DELETE', '/api/tokens/not-a-uuid', { bearer: bootstrap() })).status).toBe(400);
  });

  it('an expired token gets 401', async () => {
    const { body } = await create({ name: 'expiring', role: 'analyst', expiresInDays: 1 });
    const bearer = body?.token as string;
    expect((await call(stack, 'GET', '/api/auth/me', { bearer })).status).toBe(200);
    // Time passes: move its expiry into the past rather than wait a day.
    await stack.pool.query("UPDATE admin.api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [
      body?.id,
    ]);
    expect((await call(stack, 'GET', '/api/auth/me', { bearer })).status).toBe(401);
  });

  it('refuses bad input with 400 (an unknown role, no name, a non-positive expiry); a token the caller picks is ignored', async () => {
    for (const bad of [
      { name: 'x', role: 'root' },
      { role: 'admin' },
      { name: 'x', role: 'admin', expiresInDays: 0 },
    ]) {
      const response = await create(bad);
      expect([JSON.stringify(bad), response.status]).toEqual([JSON.stringify(bad), 400]);
    }
    // Fastify drops unknown fields (removeAdditional): the secret is always ours.
    const picked = await create({ name: 'picked', role: 'analyst', token: 'sat_chosen-by-me' });
    expect(picked.status).toBe(201);
    expect(picked.body?.token).toMatch(/^sat_[A-Za-z0-9_-]{43}$/);
  });

  it('the OpenAPI document lists these routes: login public, the rest behind a bearer token or the session cookie', async () => {
    const doc = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    expect(doc.paths['/api/auth/login']?.post?.security).toEqual([]);
    for (const [path, method] of [
      ['/api/auth/logout', 'post'],
      ['/api/auth/me', 'get'],
      ['/api/tokens', 'post'],
      ['/api/tokens', 'get'],
      ['/api/tokens/{id}', 'delete'],
    ] as const) {
      const operation = doc.paths[path]?.[method];
      expect([path, method, operation?.security]).toEqual([path, method, [{ bearerAuth: [] }, { cookieAuth: [] }]]);
      expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['401']));
    }
  });

  it('a bearer that is neither the bootstrap token nor a live API token is 401', async () => {
    for (const bearer of ['sat_forged', 'not-a-token', bootstrap().slice(0, -1)]) {
      expect((await call(stack, 'GET', '/api/auth/me', { bearer })).status).toBe(401);
    }
  });
});
