import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ReplyTracker } from '../../bench/support/replies.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  inboundForm,
  messageSid,
  OUR_NUMBER,
  phoneNumber,
  signedForm,
} from '../../bench/support/twilio-webhook.js';
import { freePort } from '../../infra/ports.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { createTestDatabase, uniqueTaskQueue } from '../support/database.js';
import { ROOT, type Spawned, spawnCli } from '../support/processes.js';
import { PAYLOAD_KEYS } from '../support/sms-stack.js';

/**
 * What the image runs: `npm run build`, then every role from dist/ with NODE_ENV=production (no
 * TypeScript loader, the prebuilt workflow bundle), answering a signed SMS end to end. Without
 * this, the build could rot while every other test runs the sources.
 */
const PUBLIC_URL = 'http://sms.compiled.test';

describe('the compiled build (dist/), as the image runs it', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let twilio: FakeTwilio;
  let openai: FakeOpenAI;
  let env: Record<string, string>;
  const running: Spawned[] = [];

  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, timeout: 240_000 });
    db = await createTestDatabase('compiled');
    twilio = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    openai = await startFakeOpenAI();
    env = {
      NODE_ENV: 'production',
      SMS_AGENT_RUNTIME: 'dist',
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('compiled'),
      TEMPORAL_PAYLOAD_KEYS: PAYLOAD_KEYS,
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: OUR_NUMBER,
      TWILIO_API_BASE_URL: twilio.baseUrl,
      OPENAI_BASE_URL: openai.baseUrl,
      OPENAI_API_KEY: 'test-key',
      OPENAI_FALLBACK_MODEL: 'gpt-4o-mini',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    };
  }, 300_000);

  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exit));
    await twilio?.close();
    await openai?.close();
    await db?.drop();
  });

  const start = (args: string[], extra: Record<string, string> = {}) => {
    const p = spawnCli(args, { ...env, ...extra });
    running.push(p);
    return p;
  };

  it('built dist/ with the workflow bundle and the dashboard beside the compiled code', () => {
    for (const file of ['dist/cli/main.js', 'dist/workflow-bundle.js', 'dist/dashboard/build/200.html']) {
      expect(existsSync(path.join(ROOT, file)), file).toBe(true);
    }
  });

  it('migrates, serves, and answers a signed SMS with api, worker and projector from dist/', async () => {
    const migrate = start(['migrate']);
    expect((await migrate.exit).code, migrate.output().slice(-3000)).toBe(0);

    const port = await freePort();
    const api = start(['api'], { PORT: String(port) });
    const worker = start(['worker']);
    const projector = start(['projector']);
    await api.waitFor('Server listening', 120_000);
    await worker.waitFor('"state":"RUNNING"', 120_000);
    // Running compiled, the worker can only have loaded dist/workflow-bundle.js: there are no
    // workflow sources under dist/ for webpack to bundle (cli/roles/workflow-bundle.ts).
    expect(existsSync(path.join(ROOT, 'dist/workflows/index.ts'))).toBe(false);

    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const page = await fetch(`${url}/tasks`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div');

    const sid = messageSid(7, 1);
    const form = signedForm(`${PUBLIC_URL}/sms/receive`, inboundForm({ sid, from: phoneNumber(7001), body: 'hi' }));
    expect((await fetch(`${url}/sms/receive`, { method: 'POST', headers: form.headers, body: form.body })).status).toBe(
      200,
    );
    const tracker = new ReplyTracker(twilio);
    expect(await tracker.waitFor([sid], 90_000)).toBe(1);
    expect(tracker.count(sid)).toBe(1);

    for (const p of [api, worker, projector]) p.child.kill('SIGTERM');
    const exits = await Promise.all([api, worker, projector].map((p) => p.exit));
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
  }, 300_000);
});
