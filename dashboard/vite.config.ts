import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  // Kit's server half (run once at build time for the fallback page) needs cookie 0.6, nested under
  // @sveltejs/kit; left external it would resolve to the root's cookie 2 (fastify's), which differs.
  ssr: { noExternal: ['cookie'] },
  build: { reportCompressedSize: false },
});
