import { randomUUID } from 'node:crypto';
import { AccountCreated, AccountDisabled, accountStream } from '../../domain/admin/events.js';
import type { EventStore } from '../../eventstore/port.js';
import type { Pool } from '../../infra/db.js';
import type { Role } from '../plugins/admin-auth.js';
import { type ChangeContext, recordChange } from './audit.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from './passwords.js';

export interface Account {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
  disabledAt: string | null;
}

/** A second account with the same email. */
export class AccountExistsError extends Error {
  override name = 'Conflict';
  readonly statusCode = 409;
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

const toAccount = (row: Record<string, unknown>): Account => ({
  id: row.id as string,
  email: row.email as string,
  role: row.role as Role,
  createdAt: (row.created_at as Date).toISOString(),
  disabledAt: row.disabled_at ? (row.disabled_at as Date).toISOString() : null,
});

/** Creates the account, then records AccountCreated (without the hash) on `account-<id>`. */
export async function createAccount(
  pool: Pool,
  store: EventStore,
  input: { email: string; role: Role; password: string },
  context: ChangeContext,
): Promise<Account> {
  const email = normaliseEmail(input.email);
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new Error(`not an email address: ${input.email}`);
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const id = randomUUID();
  const passwordHash = await hashPassword(input.password);
  let row: Record<string, unknown> | undefined;
  try {
    ({
      rows: [row],
    } = await pool.query(
      `INSERT INTO admin.accounts (id, email, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, email, role, created_at, disabled_at`,
      [id, email, input.role, passwordHash, context.now],
    ));
  } catch (error) {
    // 23505: unique_violation on the email.
    if ((error as { code?: string }).code === '23505') throw new AccountExistsError(`an account for ${email} exists`);
    throw error;
  }
  await recordChange(
    store,
    accountStream(id),
    'created',
    AccountCreated.type,
    { accountId: id, email, role: input.role },
    context,
    'no_stream',
  );
  return toAccount(row as Record<string, unknown>);
}

export async function listAccounts(pool: Pool): Promise<Account[]> {
  const { rows } = await pool.query(
    'SELECT id, email, role, created_at, disabled_at FROM admin.accounts ORDER BY created_at, email',
  );
  return rows.map(toAccount);
}

/**
 * Disables the account and ends its sessions in one transaction, so it is shut out at once; records
 * AccountDisabled. Undefined when there is no such account; disabling twice records nothing new.
 */
export async function disableAccount(
  pool: Pool,
  store: EventStore,
  rawEmail: string,
  context: ChangeContext,
): Promise<Account | undefined> {
  const email = normaliseEmail(rawEmail);
  const client = await pool.connect();
  let row: Record<string, unknown> | undefined;
  let changed = false;
  try {
    await client.query('BEGIN');
    ({
      rows: [row],
    } = await client.query(
      'SELECT id, email, role, created_at, disabled_at FROM admin.accounts WHERE email = $1 FOR UPDATE',
      [email],
    ));
    if (row && !row.disabled_at) {
      ({
        rows: [row],
      } = await client.query(
        `UPDATE admin.accounts SET disabled_at = $2 WHERE id = $1
         RETURNING id, email, role, created_at, disabled_at`,
        [row.id, context.now],
      ));
      await client.query('DELETE FROM admin.sessions WHERE account_id = $1', [row?.id]);
      changed = true;
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  if (!row) return undefined;
  const account = toAccount(row);
  if (changed) {
    await recordChange(
      store,
      accountStream(account.id),
      'disabled',
      AccountDisabled.type,
      { accountId: account.id, email },
      context,
    );
  }
  return account;
}
