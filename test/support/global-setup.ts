import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflows } from '../../cli/roles/workflow-bundle.js';
import { startEmbeddedPostgres } from '../../infra/embedded-postgres.js';
import { startTemporalDevServer } from '../../infra/temporal-dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    /** Workflow code bundled once for the whole run. */
    workflowBundlePath: string;
  }
}

/**
 * One PostgreSQL and one Temporal dev server for the whole run (or the ones named by
 * DATABASE_URL / TEMPORAL_ADDRESS). Each test file then makes its own database and task queue.
 */
export default async function setup(project: TestProject) {
  const stops: (() => Promise<void>)[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sms-agent-test-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to enter this folder.
  chmodSync(tmp, 0o755);
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    // Throwaway cluster: durability settings off, so the suite spends its time on our code.
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(tmp, 'postgres'),
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    stops.push(pg.stop);
    databaseUrl = pg.url;
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
  project.provide('databaseUrl', databaseUrl);
  project.provide('temporalAddress', temporalAddress);
  return async () => {
    for (const stop of stops) await stop();
    rmSync(tmp, { recursive: true, force: true });
  };
}
