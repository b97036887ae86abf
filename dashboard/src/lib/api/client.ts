import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type Schemas = components['schemas'];

/** A failed API call, with what was being done, so a page can say what failed. */
export class ApiError extends Error {
  constructor(
    readonly what: string,
    readonly status: number,
    message: string,
  ) {
    super(`${what} failed: ${message}`);
    this.name = 'ApiError';
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
let csrfToken: string | undefined;
let onUnauthorized: (() => void) | undefined;

/** The session's CSRF token (from login or GET /api/auth/me), sent on every changing call. */
export const setCsrfToken = (token: string | undefined) => {
  csrfToken = token;
};

/** What to do on a 401 (the layout sends the browser to sign-in and back after). */
export const setUnauthorizedHandler = (handler: () => void) => {
  onUnauthorized = handler;
};

const session: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method) && csrfToken) request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
  onResponse({ request, response }) {
    // Sign-in's wrong password and me's "no session" are 401s too; their callers handle them.
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/api/auth/')) onUnauthorized?.();
    return response;
  },
};

/** The one client of the API: typed from the OpenAPI document, cookie session, CSRF header. */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(session);

/** The data of an openapi-fetch result, or an ApiError naming `what` failed and why. */
export function must<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  // 204 No Content (a revoke, a logout) succeeded with nothing to read.
  if (result.error === undefined && result.response.status === 204) return undefined as T;
  if (result.error !== undefined || result.data === undefined) {
    const body = result.error as { message?: unknown } | undefined;
    const message =
      typeof body?.message === 'string' ? body.message : `${result.response.status} ${result.response.statusText}`;
    throw new ApiError(what, result.response.status, message);
  }
  return result.data;
}

/** A network failure (the API down) as an ApiError too. */
export async function call<T>(
  what: string,
  request: () => Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: Awaited<ReturnType<typeof request>>;
  try {
    result = await request();
  } catch (error) {
    throw new ApiError(what, 0, error instanceof Error ? error.message : 'the API did not answer');
  }
  return must(result, what);
}
