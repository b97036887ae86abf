import { randomUUID } from 'node:crypto';
import { createAccount } from '../../../api/auth/accounts.js';
import type { Role } from '../../../api/plugins/admin-auth.js';
import type { SmsStack } from '../../support/sms-stack.js';

export const TEST_ACTOR = { name: 'test-setup', role: 'admin', kind: 'bootstrap' } as const;

/** An account made the way the CLI makes it; returns its credentials. */
export async function newAccount(stack: SmsStack, role: Role) {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.test`;
  const password = `pw-${randomUUID()}`;
  const account = await createAccount(
    stack.pool,
    stack.store,
    { email, role, password },
    { actor: TEST_ACTOR, correlationId: `test-${randomUUID()}`, now: new Date() },
  );
  return { ...account, password };
}

let ipCounter = 1;
/** A client address of its own (the app trusts X-Forwarded-For), so per-IP limits do not leak between tests. */
export const newIp = () => `198.51.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;

export async function login(stack: SmsStack, email: string, password: string, ip = newIp()) {
  const response = await fetch(`${stack.apiUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ email, password }),
  });
  const setCookie = response.headers.getSetCookie()[0] ?? '';
  const body = (await response.json()) as Record<string, unknown>;
  return { response, body, setCookie, cookie: setCookie.split(';')[0] ?? '' };
}

export async function call(
  stack: SmsStack,
  method: string,
  path: string,
  options: { cookie?: string; csrf?: string; bearer?: string; body?: unknown } = {},
) {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...(options.csrf ? { 'x-csrf-token': options.csrf } : {}),
      ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}),
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, response };
}
