import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';
import { type Config, corsOrigins, publicUrl } from '../../infra/config.js';
import { TooManyRequestsError } from '../auth/errors.js';
import { BadRequestError } from './error-handler.js';

export interface SecurityOptions {
  /** Origins (scheme://host[:port]) allowed cross-origin calls, with credentials; empty: none. */
  corsOrigins: string[];
  /** Requests per client IP and minute on the public routes (PUBLIC_RATE_LIMIT_PER_MINUTE). */
  publicPerMinute: number;
  /** PUBLIC_URL is https: browsers may upgrade every subresource to https. */
  https: boolean;
  /**
   * Extra `script-src` sources for pages served from `/`, e.g. `'sha256-...'` of the inline
   * scripts SvelteKit emits for hydration (see inlineScriptHashes): the dashboard's hook.
   */
  scriptSources?: string[];
}

export const securityOptions = (config: Config, scriptSources: string[] = []): SecurityOptions => ({
  corsOrigins: corsOrigins(config),
  publicPerMinute: config.PUBLIC_RATE_LIMIT_PER_MINUTE,
  https: publicUrl(config).startsWith('https:'),
  scriptSources,
});

/** Routes anyone may call (Twilio, load balancers): limited per client IP. Login has its own limits. */
export const isPublicRoute = (url: string) => url.startsWith('/sms/') || url === '/health' || url === '/ready';

/** CSP sources for the inline `<script>` blocks of an HTML page (SvelteKit's hydration start-up). */
export const inlineScriptHashes = (html: string): string[] =>
  [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)].map(
    (m) =>
      `'sha256-${createHash('sha256')
        .update(m[1] ?? '')
        .digest('base64')}'`,
  );

/**
 * Edge security of every answer: helmet's headers with one CSP fit for the same-origin pages (the
 * dashboard at `/`, Swagger UI at `/docs`: scripts and styles from 'self' only, inline styles
 * allowed because Svelte transitions and Swagger UI set them; images may be data: URIs), CORS closed
 * but for CORS_ORIGINS, and a per-IP limit on the public routes (the client IP is X-Forwarded-For's:
 * trustProxy, so the API must sit behind a proxy that sets that header).
 */
export default fp(
  async (app: FastifyInstance, options: SecurityOptions) => {
    // helmet's middleware, built once. @fastify/helmet 13 builds it again for every request (parsing
    // the whole CSP each time): 17 µs and a few KB of garbage per request, against under 1 µs to apply.
    const headers = helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          baseUri: ["'self'"],
          connectSrc: ["'self'"],
          fontSrc: ["'self'", 'data:'],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          imgSrc: ["'self'", 'data:'],
          objectSrc: ["'none'"],
          scriptSrc: ["'self'", ...(options.scriptSources ?? [])],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          // On plain http (local runs) an upgrade would break every subresource.
          ...(options.https ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      // HSTS only means something over https; on http it would only confuse a local browser.
      strictTransportSecurity: options.https ? { maxAge: 15_552_000, includeSubDomains: true } : false,
    });
    app.addHook('onRequest', (request, reply, done) =>
      headers(request.raw, reply.raw, (error) => done(error as Error)),
    );

    const allowed = new Set(options.corsOrigins);
    app.addHook('onRequest', async (request, reply) => corsFor(allowed, request, reply));

    // PostgreSQL text and jsonb cannot hold NUL: refused here as bad input, not a 500 from the query.
    // Not on the webhooks: a signed SMS is never refused for its content (its body is cleaned instead).
    app.addHook('preValidation', async (request) => {
      if (request.routeOptions.url?.startsWith('/sms/')) return;
      for (const [part, value] of [
        ['query string', request.query],
        ['path', request.params],
        ['body', request.body],
      ] as const) {
        if (holdsNul(value))
          throw new BadRequestError(`The ${part} holds a NUL character (U+0000), which is not allowed`);
      }
    });

    // The limiter lives in a child scope, so its onRoute hook never sees the login routes (which
    // register a limiter of their own); the root hook below attaches it to the public routes only.
    let limiter: onRequestHookHandler | undefined;
    await app.register(async (child) => {
      await child.register(rateLimit, {
        global: false,
        // Callers on this host (operators' tools, a health check on the box, the test suites' floods) are
        // not limited. Behind the proxy the key is the client's X-Forwarded-For address, never loopback.
        allowList: (_request, key) => isLoopback(key),
        errorResponseBuilder: (_request, context) =>
          new TooManyRequestsError(`Too many requests; try again in ${context.after}`),
      });
      limiter = child.rateLimit({ max: options.publicPerMinute, timeWindow: 60_000 });
    });
    app.addHook('onRoute', (route) => {
      if (!limiter || !isPublicRoute(route.url) || route.method === 'OPTIONS') return;
      const existing = route.onRequest ? [route.onRequest].flat() : [];
      // First, so a flood is refused before signatures or credentials are checked.
      route.onRequest = [limiter, ...existing] as typeof route.onRequest;
    });
  },
  { name: 'security' },
);

/**
 * CORS for CORS_ORIGINS, credentials included; any other origin gets no CORS header, so the browser
 * withholds the answer and refuses a preflight. Hand-written because @fastify/cors decorates the
 * request and cannot be registered at the root as well as in the Temporal codec's scope (which keeps
 * its own, for the Temporal UI's origin: an unlisted origin's preflight falls through to it).
 */
function corsFor(allowed: Set<string>, request: FastifyRequest, reply: FastifyReply) {
  const origin = request.headers.origin;
  reply.header('vary', 'Origin');
  if (origin === undefined || !allowed.has(origin)) return;
  reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
    return reply
      .status(204)
      .header('access-control-allow-methods', CORS_METHODS)
      .header('access-control-allow-headers', CORS_HEADERS)
      .header('access-control-max-age', '600')
      .header('content-length', '0')
      .send();
  }
}
const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const CORS_HEADERS = 'Authorization, Content-Type, X-CSRF-Token, Last-Event-ID';

/** Whether any string in a parsed query, params or JSON body holds U+0000 (depth-bounded, like the body). */
function holdsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || typeof value !== 'object' || value === null) return false;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000') || holdsNul(item, depth + 1)) return true;
  }
  return false;
}

const isLoopback = (ip: string) => ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
