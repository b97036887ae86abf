import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // A single-page app: every page renders in the browser; the API serves 200.html for deep links.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: '200.html', strict: true }),
    // The API's strict CSP (api/plugins/security.ts) allows no inline script; Kit's bootstrap is one,
    // so Kit puts its hash in a <meta> CSP of the page, which api/plugins/dashboard.ts copies into
    // the HTML's CSP header.
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:'],
        'connect-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
      },
    },
  },
};

export default config;
