import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflows } from '../../cli/roles/workflow-bundle.js';
import { startEmbeddedPostgres } from '../../infra/embedded-postgres.js';
import { startTemporalDevServer } from '../../infra/temporal-dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** One PostgreSQL cluster per test worker (VITEST_POOL_ID picks), or DATABASE_URL alone. */
    databaseUrls: string[];
    temporalAddress: string;
    /** Workflow code bundled once for the whole run. */
    workflowBundlePath: string;
  }
}

/**
 * A PostgreSQL cluster per test worker and one Temporal dev server for the whole run (or the ones
 * named by DATABASE_URL / TEMPORAL_ADDRESS). Each test file then makes its own database and task
 * queue. A cluster per worker, because the event store's horizon is cluster-wide (a transaction
 * open in any database holds back every subscriber, by design): two files running at once on one
 * cluster could hold each other's events back (seen: a rebuild missing events, a subscription
 * waiting), while the files of one worker run one after another.
 */
export default async function setup(project: TestProject) {
  const stops: (() => Promise<void>)[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sms-agent-test-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to enter this folder.
  chmodSync(tmp, 0o755);
  const databaseUrls = process.env.DATABASE_URL ? [process.env.DATABASE_URL] : [];
  if (databaseUrls.length === 0) {
    const workers = Math.max(1, Number(project.config.maxWorkers) || 1);
    // Throwaway clusters: durability settings off, so the suite spends its time on our code.
    const clusters = await Promise.all(
      Array.from({ length: workers }, (_, i) =>
        startEmbeddedPostgres({
          dataDir: path.join(tmp, `postgres-${i + 1}`),
          settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
        }),
      ),
    );
    for (const pg of clusters) {
      stops.push(pg.stop);
      databaseUrls.push(pg.url);
    }
  }
  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (!temporalAddress) {
    const temporal = await startTemporalDevServer({
      cliPath: process.env.TEMPORAL_CLI_PATH,
      headless: true,
      port: undefined,
      logFile: path.join(tmp, 'temporal.log'),
      allowDownload: true,
    });
    stops.unshift(temporal.stop);
    temporalAddress = temporal.address;
  }
  const bundle = await bundleWorkflows();
  const workflowBundlePath = path.join(tmp, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('databaseUrls', databaseUrls);
  project.provide('temporalAddress', temporalAddress);
  return async () => {
    for (const stop of stops) await stop();
    rmSync(tmp, { recursive: true, force: true });
  };
}
