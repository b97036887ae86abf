import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type Account, createAccount, disableAccount, listAccounts } from '../../api/auth/accounts.js';
import type { ChangeContext } from '../../api/auth/audit.js';
import { MIN_PASSWORD_LENGTH } from '../../api/auth/passwords.js';
import { type Actor, ROLES, type Role } from '../../api/plugins/admin-auth.js';
import { createEventStore } from '../../eventstore/index.js';
import type { EventStore } from '../../eventstore/port.js';
import { loadConfig } from '../../infra/config.js';
import { createPool, type Pool } from '../../infra/db.js';
import { createLogger } from '../../infra/logger.js';
import { resolveDatabase } from '../../infra/stack.js';

export function register(program: Command): void {
  const accounts = program.command('accounts').description('accounts of people who use the admin API and dashboard');
  accounts
    .command('create')
    .description('create an account; the password is asked for (or read from stdin when it is not a terminal)')
    .requiredOption('--email <email>', 'the sign-in email')
    .addOption(new Option('--role <role>', 'what the account may do').choices(ROLES).makeOptionMandatory())
    .action(async (options: { email: string; role: Role }) => {
      const password = await readPassword();
      await withAdmin(async (pool, store, context) => {
        const account = await createAccount(
          pool,
          store,
          { email: options.email, role: options.role, password },
          context,
        );
        process.stdout.write(`created ${account.email} (${account.role}), id ${account.id}\n`);
      });
    });
  accounts
    .command('list')
    .description('every account, with its role and whether it is disabled')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      await withAdmin(async (pool) => {
        const all = await listAccounts(pool);
        if (options.json) process.stdout.write(`${JSON.stringify({ accounts: all })}\n`);
        else printAccounts(all);
      });
    });
  accounts
    .command('disable')
    .description('disable an account and end its sessions at once')
    .requiredOption('--email <email>', 'the account to disable', nonEmpty)
    .action(async (options: { email: string }) => {
      await withAdmin(async (pool, store, context) => {
        const account = await disableAccount(pool, store, options.email, context);
        if (!account) throw new Error(`no account for ${options.email}`);
        process.stdout.write(`disabled ${account.email}; its sessions are ended\n`);
      });
    });
}

/**
 * The CLI acts with the database's own credentials, like the bootstrap token: events it records
 * carry this actor, naming the operating-system user who ran it.
 */
function cliActor(): Actor {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the actor still says it was the CLI.
  }
  return { name: `cli:${user}`, role: 'admin', kind: 'bootstrap' };
}

async function withAdmin(run: (pool: Pool, store: EventStore, context: ChangeContext) => Promise<void>) {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL });
  const database = await resolveDatabase(config, logger);
  const pool = createPool(database.url, { max: 2, applicationName: 'sms-agent accounts' });
  const store = createEventStore({ url: config.EVENTSTORE_URL ?? database.url, logger });
  try {
    await run(pool, store, { actor: cliActor(), correlationId: `cli-${randomUUID()}`, now: new Date() });
  } catch (error) {
    // 42P01: undefined table.
    if ((error as { code?: string }).code === '42P01')
      throw new Error('no accounts table yet: run `sms-agent migrate` first');
    throw error;
  } finally {
    await store.close();
    await pool.end();
    await database.stop();
  }
}

/** Never an argument (it would sit in shell history and `ps`): a hidden prompt, or stdin when piped. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    const password = text.replace(/\r?\n$/, '');
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new Error(`the password read from stdin must have at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    return password;
  }
  const password = await promptHidden('Password: ');
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new Error(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if ((await promptHidden('Again: ')) !== password) throw new Error('the two passwords differ');
  return password;
}

/** Node's readline has no hidden input, so a raw-mode read that echoes nothing. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value: string[] = [];
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          return resolve(value.join(''));
        }
        if (ch === '\u0003' || ch === '\u0004') {
          finish();
          return reject(new Error('cancelled'));
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value.push(ch);
      }
    };
    stdin.on('data', onData);
  });
}

function nonEmpty(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError('must not be empty');
  return value;
}

function printAccounts(accounts: Account[]): void {
  const rows = accounts.map((a) => [
    a.email,
    a.role,
    a.disabledAt ? `disabled ${a.disabledAt}` : 'active',
    a.createdAt,
  ]);
  const header = ['email', 'role', 'status', 'created'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`);
}
