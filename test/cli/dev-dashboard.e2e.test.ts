import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { watchDashboard } from '../../cli/commands/dev.js';
import { createLogger } from '../../infra/logger.js';
import { ROOT } from '../support/processes.js';

/** What a clone holds of dashboard/: no `.svelte-kit/`, no build. */
const copyDashboard = (to: string) => {
  for (const entry of ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'tsconfig.json'])
    cpSync(path.join(ROOT, 'dashboard', entry), path.join(to, entry), { recursive: true });
};

/**
 * `npm run dev`'s dashboard build on a fresh clone: a copy of dashboard/ with no `.svelte-kit/`
 * and no build (the real one is shared by other test files), inside the repository so that its
 * imports resolve from node_modules as the real one's do.
 */
describe('sms-agent dev: the dashboard build', () => {
  mkdirSync(path.join(ROOT, 'test/.tmp'), { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, 'test/.tmp/dashboard-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on a fresh clone, syncs SvelteKit first and builds with no warning; firstBuild says when', async () => {
    copyDashboard(dir);
    expect(existsSync(path.join(dir, '.svelte-kit'))).toBe(false);
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const watcher = watchDashboard(createLogger({ level: 'info', destination }), dir);
    try {
      await watcher.firstBuild;
      expect(existsSync(path.join(dir, 'build', '200.html'))).toBe(true);
      expect(existsSync(path.join(dir, '.svelte-kit', 'tsconfig.json'))).toBe(true);
      // Before the sync, vite warned "Cannot find base config file ./.svelte-kit/tsconfig.json".
      expect(lines).toEqual([]);
    } finally {
      await watcher.stop();
    }
  }, 240_000);

  it('stopped during its first build, firstBuild settles and no build is written', async () => {
    const copy = mkdtempSync(path.join(ROOT, 'test/.tmp/dashboard-'));
    try {
      copyDashboard(copy);
      const watcher = watchDashboard(createLogger({ level: 'silent' }), copy);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await watcher.stop();
      await watcher.firstBuild;
      expect(existsSync(path.join(copy, 'build', '200.html'))).toBe(false);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
