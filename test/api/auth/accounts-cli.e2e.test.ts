import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../../api/auth/passwords.js';
import { createEventStore } from '../../../eventstore/index.js';
import { createTestDatabase } from '../../support/database.js';
import { ROOT } from '../../support/processes.js';

/** `sms-agent <args>` as a user runs it, with `stdin` piped in (spawnCli gives the child no stdin). */
function run(args: string[], env: Record<string, string>, stdin = '') {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/sms-agent.mjs'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', EVENTSTORE_URL: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdin.end(stdin);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

// Each run starts Node and tsx afresh (seconds each on a loaded machine), hence the longer timeout.
describe('sms-agent accounts', { timeout: 180_000 }, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase('accounts');
    env = { DATABASE_URL: db.url };
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('migrate creates the admin schema (twice is a no-op), outside the read models and closed to analysts', async () => {
    for (let i = 0; i < 2; i++) {
      const migrated = await run(['migrate'], env);
      expect(migrated.code, migrated.stderr).toBe(0);
    }
    const { rows } = await client.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'admin' ORDER BY table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      'accounts',
      'api_tokens',
      'login_failures',
      'pgmigrations',
      'sessions',
    ]);
    const { rows: privilege } = await client.query("SELECT has_schema_privilege('analyst', 'admin', 'USAGE') AS usage");
    expect(privilege).toEqual([{ usage: false }]);
  });

  it('create takes the password from stdin, stores only its scrypt hash, and records AccountCreated with the CLI as actor', async () => {
    const password = 'a long enough password';
    const created = await run(
      ['accounts', 'create', '--email', 'Ops.Lead@Example.test', '--role', 'ops'],
      env,
      `${password}\n`,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^created ops\.lead@example\.test \(ops\), id [0-9a-f-]{36}\n$/);
    expect(created.stdout + created.stderr).not.toContain(password);

    const { rows } = await client.query('SELECT id, password_hash FROM admin.accounts WHERE email = $1', [
      'ops.lead@example.test',
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword(password, rows[0].password_hash)).toBe(true);
    // The trailing newline of the piped input is not part of the password.
    expect(await verifyPassword(`${password}\n`, rows[0].password_hash)).toBe(false);

    const store = createEventStore({ url: db.url });
    try {
      const events = await store.readStream(`account-${rows[0].id}`);
      expect(events.map((e) => [e.type, e.data])).toEqual([
        ['AccountCreated', { accountId: rows[0].id, email: 'ops.lead@example.test', role: 'ops' }],
      ]);
      expect(events[0]?.metadata.actor).toEqual({
        name: expect.stringMatching(/^cli:/),
        role: 'admin',
        kind: 'bootstrap',
      });
      expect(JSON.stringify(events[0]?.data)).not.toContain('scrypt');
    } finally {
      await store.close();
    }
  });

  it('refuses a password as an argument, a short password, an unknown role and a second account for the same email', async () => {
    const cases = [
      [
        ['--email', 'a@example.test', '--role', 'admin', '--password', 'a long enough password'],
        /unknown option '--password'/,
      ],
      [['--email', 'b@example.test', '--role', 'admin'], /at least 12 characters/, 'short\n'],
      [['--email', 'c@example.test', '--role', 'root'], /Allowed choices are admin, ops, analyst/],
      [['--email', 'OPS.LEAD@example.test', '--role', 'admin'], /an account for ops\.lead@example\.test exists/],
    ] as const;
    for (const [args, message, stdin = 'a long enough password\n'] of cases) {
      const refused = await run(['accounts', 'create', ...args], env, stdin);
      expect([args.join(' '), refused.code]).toEqual([args.join(' '), 1]);
      expect(refused.stderr).toMatch(message);
    }
    const { rows } = await client.query('SELECT email, role FROM admin.accounts ORDER BY email');
    expect(rows).toEqual([{ email: 'ops.lead@example.test', role: 'ops' }]);
  });

  it('list shows each account and its state; disable ends its sessions at once and records AccountDisabled', async () => {
    const second = await run(
      ['accounts', 'create', '--email', 'analyst@example.test', '--role', 'analyst'],
      env,
      'another long password',
    );
    expect(second.code, second.stderr).toBe(0);
    const { rows } = await client.query("SELECT id FROM admin.accounts WHERE email = 'ops.lead@example.test'");
    const accountId = rows[0].id as string;
    await client.query(
      "INSERT INTO admin.sessions (id_hash, account_id, csrf_token, created_at, last_seen_at) VALUES ('\\x01', $1, 'c', now(), now())",
      [accountId],
    );

    const disabled = await run(['accounts', 'disable', '--email', 'ops.lead@example.test'], env);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stdout).toBe('disabled ops.lead@example.test; its sessions are ended\n');
    expect((await client.query('SELECT 1 FROM admin.sessions WHERE account_id = $1', [accountId])).rows).toEqual([]);

    const listed = await run(['accounts', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const { accounts } = JSON.parse(listed.stdout) as { accounts: Record<string, unknown>[] };
    expect(accounts.map((a) => [a.email, a.role, a.disabledAt === null ? 'active' : 'disabled'])).toEqual([
      ['ops.lead@example.test', 'ops', 'disabled'],
      ['analyst@example.test', 'analyst', 'active'],
    ]);
    const table = await run(['accounts', 'list'], env);
    expect(table.stdout).toMatch(/analyst@example\.test\s+analyst\s+active/);
    expect(table.stdout).not.toContain('scrypt');

    const store = createEventStore({ url: db.url });
    try {
      const events = await store.readStream(`account-${accountId}`);
      expect(events.map((e) => e.type)).toEqual(['AccountCreated', 'AccountDisabled']);
      expect(events[1]?.metadata.actor).toMatchObject({ role: 'admin', kind: 'bootstrap' });
    } finally {
      await store.close();
    }

    const unknown = await run(['accounts', 'disable', '--email', 'nobody@example.test'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no account for nobody@example\.test/);
  });
});
