-- Up Migration
-- Who gets in: accounts, their sessions and the API tokens of programs. This schema sits outside
-- the read models (which a rebuild replaces) because none of it can be rebuilt from the log:
-- password hashes and token hashes are never in events.
CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  -- Stored lower-cased: one account per address however it is typed.
  email text NOT NULL UNIQUE CHECK (email = lower(email)),
  role text NOT NULL CHECK (role IN ('admin', 'ops', 'analyst')),
  -- scrypt$N$r$p$salt$key (api/auth/passwords.ts): the parameters travel with the hash.
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);

CREATE TABLE sessions (
  -- SHA-256 of the cookie's random id: a copy of this table opens no session.
  id_hash bytea PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL
);
CREATE INDEX sessions_account_id ON sessions (account_id);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);

-- Failed logins per email (existing or not, so the lock says nothing about who has an account).
CREATE TABLE login_failures (
  email text PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL
);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'ops', 'analyst')),
  -- SHA-256 of the token; the token itself is shown once, when it is created.
  token_hash bytea NOT NULL UNIQUE,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
