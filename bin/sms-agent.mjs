#!/usr/bin/env node
// Which code runs (README "Production", "Compiled JavaScript"):
// - SMS_AGENT_RUNTIME=dist or =source says it outright;
// - otherwise NODE_ENV=production runs dist/ (what `npm run build` made; the image has only that);
// - otherwise the TypeScript sources run through tsx, so development and the tests never run a
//   stale dist/; if tsx is not installed (a production install without dev dependencies), dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiledUrl = new URL('../dist/cli/main.js', import.meta.url);
const compiled = fileURLToPath(compiledUrl);
const wanted = process.env.SMS_AGENT_RUNTIME ?? (process.env.NODE_ENV === 'production' ? 'dist' : 'source');

let runtime = wanted;
if (wanted === 'source') {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    runtime = 'dist';
  }
}
if (runtime === 'dist') {
  if (!existsSync(compiled)) {
    process.stderr.write('sms-agent: dist/ is missing; run `npm run build` (or set SMS_AGENT_RUNTIME=source)\n');
    process.exit(1);
  }
  await import(compiledUrl.href);
} else if (runtime === 'source') {
  await import('../cli/main.ts');
} else {
  process.stderr.write(`sms-agent: SMS_AGENT_RUNTIME must be dist or source (got ${JSON.stringify(runtime)})\n`);
  process.exit(2);
}
