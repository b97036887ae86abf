import { Command } from 'commander';
import { ConfigError } from '../infra/config.js';
import * as accounts from './commands/accounts.js';
import * as dev from './commands/dev.js';
import * as events from './commands/events.js';
import * as projections from './commands/projections.js';
import * as replay from './commands/replay.js';
import * as roles from './commands/roles.js';

const program = new Command('sms-agent')
  .description('SMS-to-AI agent: Temporal workflows, an event store and PostgreSQL read models')
  .showHelpAfterError();

for (const command of [dev, roles, events, projections, replay, accounts]) command.register(program);

try {
  await program.parseAsync(process.argv);
  // Exit once the command is done, with the code it set, whatever client handles are still open.
  process.exit(process.exitCode ?? 0);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sms-agent: ${(error as Error).message}\n`);
  process.exit(1);
}
