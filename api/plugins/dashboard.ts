import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { inlineScriptHashes } from './security.js';

/** Where `npm run build:dashboard` writes the app. */
export const DASHBOARD_BUILD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dashboard/build');

/** The API's own paths: never the app, so an unknown /api/... stays a JSON 404. */
const API_PATHS = [/^\/api(\/|$)/, /^\/sms(\/|$)/, /^\/docs(\/|$)/, /^\/openapi\.json$/, /^\/metrics$/, /^\/ready$/];
/** Paths both the API and the app have: a browser asking for HTML gets the app's page. */
const SHARED_PATHS = new Set(['/health']);
const FALLBACK = '200.html';
const NOT_BUILT =
  'The dashboard is not built. Run `npm run build:dashboard` (or `npm run dev`, which rebuilds it on change), then reload.\n';

const wantsHtml = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');
const pathOf = (url: string) => url.split('?')[0] ?? '/';

/**
 * Serves the SvelteKit dashboard (dashboard/build) at `/`: its files, and its fallback page for any
 * other GET that accepts HTML, so deep links work. Files are looked up on each request, so a
 * rebuild (`npm run dev` builds again on each change) shows on reload.
 */
export default fp(
  async (app: FastifyInstance, options: { root?: string } = {}) => {
    const root = options.root ?? DASHBOARD_BUILD;
    await app.register(fastifyStatic, { root, serve: false });

    let cached: { mtimeMs: number; html: string; hashes: string[] } | undefined;
    const fallbackPage = () => {
      const file = path.join(root, FALLBACK);
      const mtimeMs = statSync(file, { throwIfNoEntry: false })?.mtimeMs;
      if (mtimeMs === undefined) return undefined;
      if (cached?.mtimeMs !== mtimeMs) {
        const html = readFileSync(file, 'utf8');
        cached = { mtimeMs, html, hashes: inlineScriptHashes(html) };
      }
      return cached;
    };

    const sendApp = (reply: FastifyReply) => {
      const page = fallbackPage();
      if (!page) return reply.status(404).type('text/plain; charset=utf-8').send(NOT_BUILT);
      // Kit's start-up is an inline script: allow exactly its hash in this answer's CSP (helmet's
      // header, set for every answer by api/plugins/security.ts), which changes with each build.
      const csp = reply.getHeader('content-security-policy');
      if (typeof csp === 'string' && page.hashes.length) {
        reply.header(
          'content-security-policy',
          csp.replace(
            /(^|;)\s*script-src ([^;]*)/,
            (_m, start, sources) => `${start}script-src ${sources} ${page.hashes.join(' ')}`,
          ),
        );
      }
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page.html);
    };

    app.addHook('onRequest', async (request, reply) => {
      if (
        (request.method === 'GET' || request.method === 'HEAD') &&
        SHARED_PATHS.has(pathOf(request.url)) &&
        wantsHtml(request)
      ) {
        return sendApp(reply);
      }
    });

    app.get('/*', { schema: { hide: true } }, async (request, reply) => {
      const urlPath = pathOf(request.url);
      if (API_PATHS.some((re) => re.test(urlPath))) return reply.callNotFound();
      let relative: string;
      try {
        relative = decodeURIComponent(urlPath).replace(/^\/+/, '');
      } catch {
        return reply.callNotFound();
      }
      const file = path.resolve(root, relative);
      const isFile =
        relative && file.startsWith(`${root}${path.sep}`) && statSync(file, { throwIfNoEntry: false })?.isFile();
      if (isFile && relative !== FALLBACK) {
        // Hashed names never change content: cache them for a year; anything else, revalidate.
        const immutable = relative.startsWith('_app/immutable/');
        return reply.sendFile(relative, { immutable, maxAge: immutable ? 31_536_000_000 : 0, cacheControl: true });
      }
      if (wantsHtml(request)) return sendApp(reply);
      return reply.callNotFound();
    });
  },
  // After api/plugins/security.ts (buildApp's order), whose CSP header sendApp extends.
  { name: 'dashboard' },
);
