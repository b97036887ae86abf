import type { Pool } from '../../infra/db.js';
import { READ_MODELS } from '../../projections/registry.js';
import { qualified } from '../../projections/shared/sql.js';

export interface TableDiff {
  table: string;
  rowsA: number;
  rowsB: number;
  /** Rows in one table and not in the other (as a multiset), both ways. */
  differing: number;
}

/**
 * Compares every read model's tables between two schemas row by row. Rows are compared as their
 * text form, which also covers columns without an equality operator; both schemas come from the
 * same migrations, so their columns line up.
 */
export async function diffReadModels(pool: Pool, schemaA: string, schemaB: string): Promise<TableDiff[]> {
  const out: TableDiff[] = [];
  for (const model of READ_MODELS) {
    for (const table of model.tables) {
      const a = qualified(schemaA, table);
      const b = qualified(schemaB, table);
      const { rows } = await pool.query<{ rows_a: number; rows_b: number; differing: number }>(
        `SELECT (SELECT count(*) FROM ${a})::int AS rows_a, (SELECT count(*) FROM ${b})::int AS rows_b,
           (SELECT count(*) FROM (
              (SELECT t::text FROM ${a} t EXCEPT ALL SELECT t::text FROM ${b} t)
              UNION ALL
              (SELECT t::text FROM ${b} t EXCEPT ALL SELECT t::text FROM ${a} t)) d)::int AS differing`,
      );
      const r = rows[0] as { rows_a: number; rows_b: number; differing: number };
      out.push({ table, rowsA: r.rows_a, rowsB: r.rows_b, differing: r.differing });
    }
  }
  return out;
}
