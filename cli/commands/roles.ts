import type { Command } from 'commander';
import { loadConfig } from '../../infra/config.js';
import { createLogger } from '../../infra/logger.js';
import { resolveDatabase, resolveTemporalAddress } from '../../infra/stack.js';
import { startApi } from '../roles/api.js';
import { migrateAll } from '../roles/migrate.js';
import { startProjector } from '../roles/projector.js';
import type { RoleContext, RunningRole } from '../roles/role.js';
import { startWorker } from '../roles/worker.js';
import { onShutdown } from '../shutdown.js';

/** The production roles, one per process (docker-compose runs each from the same image). */
export function register(program: Command): void {
  program
    .command('migrate')
    .description('create or upgrade the event store tables, the inbox checkpoint and the read models (idempotent)')
    .action(async () => {
      const { config, logger } = setup();
      const db = await resolveDatabase(config, logger);
      try {
        await migrateAll(config, db.url, logger);
        process.stdout.write('migrations are up to date\n');
      } finally {
        await db.stop();
      }
    });
  for (const [name, description, start] of [
    ['worker', 'run the Temporal worker (workflows and activities)', startWorker],
    ['projector', 'follow the event store and update the read models', startProjector],
    ['api', 'serve the HTTP API and the webhooks', startApi],
  ] as const) {
    program
      .command(name)
      .description(description)
      .action(() => runRole(start));
  }
}

function setup() {
  const config = loadConfig();
  return { config, logger: createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT }) };
}

async function runRole(start: (ctx: RoleContext) => Promise<RunningRole>): Promise<void> {
  const { config, logger } = setup();
  const db = await resolveDatabase(config, logger);
  const temporalAddress = resolveTemporalAddress(config);
  if (!temporalAddress) throw new Error('TEMPORAL_ADDRESS is not set and no `sms-agent dev` stack is running');
  let role: RunningRole | undefined;
  const shutdown = onShutdown(logger, async () => {
    await role?.stop();
    await db.stop();
  });
  role = await start({ config, logger, databaseUrl: db.url, temporalAddress });
  await Promise.race([shutdown.requested, role.done].filter(Boolean));
  await shutdown.run();
}
