import pg from 'pg';

// BIGINT (int8) as bigint would leak into JSON; positions and counts fit in numbers except the
// event-store positions, which the adapters read as text on purpose.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));

export type Pool = pg.Pool;

export function createPool(url: string, options: { max?: number; applicationName?: string } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 20,
    application_name: options.applicationName ?? 'sms-agent',
  });
  // An idle client that loses its server (a PostgreSQL restart) must not crash the process.
  pool.on('error', () => {});
  return pool;
}
