-- Up Migration
-- Limits for the analyst role. The PostgreSQL event store's subscribers read only below the oldest
-- transaction id still open anywhere in the cluster (eventstore/README.md), so one analyst who
-- leaves a transaction open that has taken a transaction id (a temp table, pg_current_xact_id())
-- stops the SMS inbox and every projection. Role settings apply to sessions that log in as that
-- role, from their next login; they are not inherited by member roles, hence the loop over them,
-- and a member added later needs the same two ALTER ROLE lines (README.md, "Analysts' limits").
-- Anyone may still SET them lower or off in a session: these are defaults against forgetting.
-- A role that already has a value keeps it (an operator's choice); and since this runs again for
-- every read-model schema, writing only what is missing also keeps concurrent runs in other
-- databases from colliding on the shared catalogue ("tuple concurrently updated").
DO $$
DECLARE
  member name;
  setting text[];
BEGIN
  FOR member IN
    SELECT 'analyst'::name
    UNION
    SELECT m.rolname FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member JOIN pg_roles r ON r.oid = a.roleid
    WHERE r.rolname = 'analyst'
  LOOP
    FOREACH setting SLICE 1 IN ARRAY ARRAY[['idle_in_transaction_session_timeout', '1min'], ['statement_timeout', '5min']]
    LOOP
      CONTINUE WHEN EXISTS (
        SELECT 1 FROM pg_db_role_setting s, unnest(s.setconfig) c
        WHERE s.setrole = (SELECT oid FROM pg_roles WHERE rolname = member) AND s.setdatabase = 0
          AND c LIKE setting[1] || '=%'
      );
      BEGIN
        EXECUTE format('ALTER ROLE %I SET %s = %L', member, setting[1], setting[2]);
      EXCEPTION WHEN internal_error OR unique_violation THEN
        -- Another database's migration set it at the same moment (updated or first inserted the row).
        IF SQLSTATE = 'XX000' AND SQLERRM <> 'tuple concurrently updated' THEN RAISE; END IF;
      END;
    END LOOP;
  END LOOP;
EXCEPTION WHEN insufficient_privilege THEN
  -- A migrating role that may not alter roles must not block the schema; say what is missing.
  RAISE WARNING 'analyst limits not set (%): run the ALTER ROLE lines of 1767225600003_analyst-limits.sql as a superuser', SQLERRM;
END
$$;

-- No temporary tables: creating one takes a transaction id (and is the only write analysts could
-- make). TEMP is a database privilege PUBLIC holds by default, so it is revoked from PUBLIC and
-- given back to the migrating role (the service's); the service creates no temp tables, but a
-- deployment whose role does not own the database keeps what it had. The database owner and
-- superusers keep it anyway.
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
    WHERE d.datname = current_database() AND a.grantee = 0 AND a.privilege_type = 'TEMPORARY'
  ) THEN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), current_user);
  END IF;
END
$$;

-- Down Migration
-- Nothing: roles and database privileges are shared by every read-model schema of this database
-- (a rebuild migrates a fresh one), so undoing them for one schema would undo them for all.
