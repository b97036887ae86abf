/**
 * The steps of `npm run build` after `tsc -p tsconfig.build.json`: what tsc does not emit.
 * - the files the compiled code reads beside itself (SQL migrations, the failure converter .mjs);
 * - the workflow bundle, made once here from the sources (webpack) so a worker starts without it;
 * - dist/dashboard/build -> ../../dashboard/build, where api/plugins/dashboard.ts looks from dist/
 *   (a relative link: it holds in the image too, where dashboard/build sits beside dist/).
 */
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowsFromSources } from '../cli/roles/workflow-bundle.js';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
if (!existsSync(path.join(dist, 'cli/main.js'))) throw new Error('dist/cli/main.js is missing: run tsc first');

for (const dir of ['projections/migrations', 'api/auth/migrations']) {
  cpSync(path.join(root, dir), path.join(dist, dir), { recursive: true });
}
cpSync(path.join(root, 'infra/failure-converter.mjs'), path.join(dist, 'infra/failure-converter.mjs'));

const started = Date.now();
const bundle = await bundleWorkflowsFromSources();
writeFileSync(path.join(dist, 'workflow-bundle.js'), bundle.code);
const kib = Math.round(Buffer.byteLength(bundle.code) / 1024);
process.stdout.write(`dist/workflow-bundle.js: ${kib} KiB in ${Date.now() - started} ms\n`);

mkdirSync(path.join(dist, 'dashboard'), { recursive: true });
rmSync(path.join(dist, 'dashboard/build'), { recursive: true, force: true });
symlinkSync('../../dashboard/build', path.join(dist, 'dashboard/build'));
