import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { disableAccount } from '../../../api/auth/accounts.js';
import { useSmsStack } from '../../support/sms-stack.js';
import { call, login, newAccount, newIp, TEST_ACTOR } from './helpers.js';

const WRONG = { error: 'Unauthorized', code: 'UNAUTHENTICATED', message: 'Wrong email or password', statusCode: 401 };

describe('sessions over real HTTP', () => {
  const stack = useSmsStack({ LOGIN_RATE_LIMIT_PER_MINUTE: '5', LOGIN_MAX_FAILURES: '3' });

  it('login sets an httpOnly, SameSite=Strict cookie (not Secure over http) whose value is stored only hashed; me says who and gives the CSRF token', async () => {
    const ops = await newAccount(stack, 'ops');
    const { response, body, setCookie, cookie } = await login(stack, ops.email.toUpperCase(), ops.password);
    expect(response.status).toBe(200);
    expect(body).toEqual({
      name: ops.email,
      email: ops.email,
      role: 'ops',
      kind: 'session',
      csrfToken: expect.any(String),
    });
    expect(setCookie).toMatch(/^sms_agent_session=[A-Za-z0-9_-]{43};/);
    const attributes = setCookie
      .split(';')
      .slice(1)
      .map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['path=/', 'httponly', 'samesite=strict']));
    expect(attributes).not.toContain('secure');

    const value = cookie.split('=')[1] ?? '';
    const { rows } = await stack.pool.query(
      'SELECT id_hash, csrf_token FROM admin.sessions s JOIN admin.accounts a ON a.id = s.account_id WHERE a.email = $1',
      [ops.email],
    );
    expect(rows).toEqual([{ id_hash: createHash('sha256').update(value).digest(), csrf_token: body.csrfToken }]);

    const me = await call(stack, 'GET', '/api/auth/me', { cookie });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      name: ops.email,
      email: ops.email,
      role: 'ops',
      kind: 'session',
      csrfToken: body.csrfToken,
    });
    expect((await call(stack, 'GET', '/api/auth/me')).status).toBe(401);
    expect((await call(stack, 'GET', '/api/auth/me', { cookie: 'sms_agent_session=forged' })).status).toBe(401);
  });

  it("a change made with the cookie needs the session's own X-CSRF-Token: none or another session's gets 403", async () => {
    const admin = await newAccount(stack, 'admin');
    const mine = await login(stack, admin.email, admin.password);
    const other = await login(stack, admin.email, admin.password);
    const create = (csrf?: string) =>
      call(stack, 'POST', '/api/tokens', { cookie: mine.cookie, csrf, body: { name: 'csrf-test', role: 'analyst' } });

    const without = await create();
    expect(without.status).toBe(403);
    expect(without.body).toMatchObject({
      error: 'Forbidden',
      statusCode: 403,
      message: expect.stringContaining('CSRF'),
    });
    expect((await create(other.body.csrfToken as string)).status).toBe(403);
    expect((await call(stack, 'GET', '/api/tokens', { cookie: mine.cookie })).status).toBe(200);
    const created = await create(mine.body.csrfToken as string);
    expect(created.status).toBe(201);

    // The change is recorded with who made it, through which credential.
    const [event] = await stack.events(`token-${created.body?.id}`);
    expect(event?.type).toBe('ApiTokenCreated');
    expect(event?.metadata.actor).toEqual({ name: admin.email, role: 'admin', kind: 'session' });
  });

  it('logout ends the session at once: the same cookie then gets 401, and the cookie is cleared', async () => {
    const analyst = await newAccount(stack, 'analyst');
    const { cookie, body } = await login(stack, analyst.email, analyst.password);
    expect((await call(stack, 'POST', '/api/auth/logout', { cookie })).status).toBe(403);
    const out = await call(stack, 'POST', '/api/auth/logout', { cookie, csrf: body.csrfToken as string });
    expect(out.status).toBe(204);
    expect(out.response.headers.getSetCookie()[0]).toMatch(/^sms_agent_session=;.*Expires=Thu, 01 Jan 1970/);
    const after = await call(stack, 'GET', '/api/auth/me', { cookie });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: 'Unauthorized', statusCode: 401 });
  });

  it('disabling an account refuses its open session at once, and its password no longer signs in', async () => {
    const ops = await newAccount(stack, 'ops');
    const { cookie } = await login(stack, ops.email, ops.password);
    expect((await call(stack, 'GET', '/api/auth/me', { cookie })).status).toBe(200);
    await disableAccount(stack.pool, stack.store, ops.email, {
      actor: TEST_ACTOR,
      correlationId: 't',
      now: new Date(),
    });
    expect((await call(stack, 'GET', '/api/auth/me', { cookie })).status).toBe(401);
    const again = await login(stack, ops.email, ops.password);
    expect([again.response.status, again.body]).toEqual([401, WRONG]);
  });

  it('a wrong email and a wrong password get the same status and body, and take about the same time (an unknown email is hashed too)', async () => {
    const ops = await newAccount(stack, 'ops');
    const timed = async (email: string) => {
      const started = performance.now();
      const result = await login(stack, email, 'not the password at all');
      return { ...result, ms: performance.now() - started };
    };
    const wrongPassword = [await timed(ops.email), await timed(ops.email)];
    const wrongEmail = [await timed('nobody@example.test'), await timed('nobody@example.test')];
    for (const attempt of [...wrongPassword, ...wrongEmail]) {
      expect([attempt.response.status, attempt.body, attempt.setCookie]).toEqual([401, WRONG, '']);
    }
    // Without the dummy hash an unknown email answers in a few ms against scrypt's tens.
    const fastest = (list: { ms: number }[]) => Math.min(...list.map((a) => a.ms));
    expect(fastest(wrongEmail)).toBeGreaterThan(fastest(wrongPassword) * 0.5);
  });

  it('per IP: past LOGIN_RATE_LIMIT_PER_MINUTE attempts, 429 with Retry-After even for the right password; another IP still signs in', async () => {
    const ops = await newAccount(stack, 'ops');
    const ip = newIp();
    for (let i = 0; i < 5; i++)
      expect((await login(stack, `someone-${i}@example.test`, 'wrong', ip)).response.status).toBe(401);
    const limited = await login(stack, ops.email, ops.password, ip);
    expect(limited.response.status).toBe(429);
    expect(limited.response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.body).toMatchObject({
      statusCode: 429,
      message: expect.stringContaining('Too many login attempts'),
    });
    expect(limited.setCookie).toBe('');
    expect((await login(stack, ops.email, ops.password, newIp())).response.status).toBe(200);
  });

  it('per account: after LOGIN_MAX_FAILURES wrong passwords from any IPs, the right one gets 429 too; an unknown email locks the same way; others are untouched', async () => {
    const target = await newAccount(stack, 'admin');
    const bystander = await newAccount(stack, 'admin');
    for (let i = 0; i < 3; i++) {
      expect((await login(stack, target.email, `guess-${i}`)).response.status).toBe(401);
      expect((await login(stack, 'ghost@example.test', `guess-${i}`)).response.status).toBe(401);
    }
    const locked = await login(stack, target.email, target.password);
    const ghost = await login(stack, 'ghost@example.test', 'whatever');
    expect([locked.response.status, locked.setCookie]).toEqual([429, '']);
    expect([ghost.response.status, ghost.body]).toEqual([429, locked.body]);
    expect((await login(stack, bystander.email, bystander.password)).response.status).toBe(200);
  });

  it('per account, parallel guesses cannot slip past the limit: of 10 at once, 3 are checked and 7 refused', async () => {
    const target = await newAccount(stack, 'ops');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => login(stack, target.email, `parallel-guess-${i}`)),
    );
    const statuses = answers.map((a) => a.response.status).sort();
    expect(statuses).toEqual([...Array(3).fill(401), ...Array(7).fill(429)]);
  });

  it('roles: an analyst session reads but gets 403 on an admin route, even with its CSRF token', async () => {
    const analyst = await newAccount(stack, 'analyst');
    const { cookie, body } = await login(stack, analyst.email, analyst.password);
    const denied = await call(stack, 'POST', '/api/tokens', {
      cookie,
      csrf: body.csrfToken as string,
      body: { name: 'nope', role: 'admin' },
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({
      error: 'Forbidden',
      code: 'FORBIDDEN',
      message: 'Requires role admin',
      statusCode: 403,
    });
    expect((await call(stack, 'GET', '/api/tokens', { cookie })).status).toBe(403);
  });
});

describe('session idle expiry', () => {
  // 3 seconds of idleness (SESSION_IDLE_HOURS takes fractions).
  const stack = useSmsStack({ SESSION_IDLE_HOURS: String(3 / 3600) });

  it('each use restarts the idle clock; a session left idle longer than SESSION_IDLE_HOURS is refused', async () => {
    const ops = await newAccount(stack, 'ops');
    const { cookie } = await login(stack, ops.email, ops.password);
    await sleep(1_800);
    expect((await call(stack, 'GET', '/api/auth/me', { cookie })).status).toBe(200);
    await sleep(1_800);
    // 3.6 s since login, but 1.8 s since it was last used.
    expect((await call(stack, 'GET', '/api/auth/me', { cookie })).status).toBe(200);
    await sleep(3_500);
    expect((await call(stack, 'GET', '/api/auth/me', { cookie })).status).toBe(401);
  });
});
