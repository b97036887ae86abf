import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../eventstore/postgres/store.js';
import { type RunningPostgres, startEmbeddedPostgres } from '../../infra/embedded-postgres.js';
import { testEvent } from './contract.js';

/** A server of its own, since restarting the run's shared one would break other test files. */
describe('postgres event store across a server restart', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'es-restart-'));
  const settings = { fsync: 'off', synchronous_commit: 'off' };
  let server: RunningPostgres | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('given a live subscriber, when PostgreSQL stops and starts again, then it delivers what came before and after', {
    timeout: 60_000,
  }, async () => {
    server = await startEmbeddedPostgres({ dataDir, settings });
    const port = server.port;
    const store = new PostgresEventStore({ url: server.url, subscription: { fallbackPollMs: 10_000 } });
    await store.migrate();
    const seen: string[] = [];
    const subscription = store.subscribeToAll();
    const consumed = (async () => {
      for await (const event of subscription) seen.push(event.type);
    })();
    await store.append('sms-1', [testEvent('BeforeRestart')]);
    await until(() => seen.length === 1);

    await server.stop();
    server = await startEmbeddedPostgres({ dataDir, port, settings });
    // The pool may hand out a connection that died with the old server: retry as an activity would.
    for (let attempt = 0; ; attempt++) {
      try {
        await store.append('sms-1', [testEvent('AfterRestart')]);
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await until(() => seen.length === 2);
    // LISTEN is back too: a new event arrives long before the 10 s fallback poll.
    await until(() => store.listening);
    const sent = Date.now();
    await store.append('sms-1', [testEvent('Live')]);
    await until(() => seen.length === 3);
    expect(Date.now() - sent).toBeLessThan(1_000);
    expect(seen).toEqual(['BeforeRestart', 'AfterRestart', 'Live']);
    await subscription.close();
    await consumed;
    await store.close();
  });
});

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
