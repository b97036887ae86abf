import pg from 'pg';

/** Anything that runs a query: a pool, a pooled client or a client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/** The schema the API and analysts read; a rebuild swaps a fresh schema in under this name. */
export const READ_MODEL_SCHEMA = 'read_models';

export const ident = (name: string) => pg.escapeIdentifier(name);
export const literal = (value: string) => pg.escapeLiteral(value);

/** `"schema"."table"`: queries name their schema, so they need no search_path on the API's pool. */
export const qualified = (schema: string, table: string) => `${ident(schema)}.${ident(table)}`;

/** Rebuild schemas are `rm_<timestamp>`; anything else must be a plain identifier too. */
export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Invalid schema name: ${schema}`);
  return schema;
}

/**
 * Runs `work` on a pooled client. pg-pool stops listening for a client's errors while it is
 * checked out, so a connection killed between two queries (a PostgreSQL restart) would be an
 * unhandled 'error' event; here it is ignored, surfaces as the next query's failure, and the
 * broken client is dropped instead of returned to the pool.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const ignore = () => {};
  client.on('error', ignore);
  let failed: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    failed = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.off('error', ignore);
    client.release(failed);
  }
}
