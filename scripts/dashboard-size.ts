/**
 * The first load's JavaScript, gzipped: every script the fallback page preloads or imports.
 * `npm run size:dashboard` after `npm run build:dashboard`; exits 1 above the budget.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD = path.join(root, 'dashboard/build');
export const INITIAL_JS_BUDGET_BYTES = 150 * 1024;

/** The scripts the first page load fetches, with their gzipped sizes in bytes. */
export function initialJs(build = BUILD): { files: { file: string; gzip: number }[]; total: number } {
  const html = readFileSync(path.join(build, '200.html'), 'utf8');
  const urls = new Set([
    ...[...html.matchAll(/<link href="([^"]+\.js)" rel="modulepreload"/g)].map((m) => m[1] as string),
    ...[...html.matchAll(/import\("([^"]+\.js)"\)/g)].map((m) => m[1] as string),
  ]);
  const files = [...urls].map((url) => ({
    file: url,
    gzip: gzipSync(readFileSync(path.join(build, url))).length,
  }));
  return { files, total: files.reduce((sum, f) => sum + f.gzip, 0) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { files, total } = initialJs();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  process.stdout.write(
    `initial JS: ${files.length} files, ${kb(total)} gzipped (budget ${kb(INITIAL_JS_BUDGET_BYTES)})\n`,
  );
  if (total > INITIAL_JS_BUDGET_BYTES) process.exitCode = 1;
}
