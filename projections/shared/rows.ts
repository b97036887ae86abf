import pg from 'pg';
import type { ProjectionTx } from '../runtime/types.js';
import type { Queryable } from './sql.js';

/** A row as the handlers fold it: column name -> JSON value (timestamps as ISO strings). */
export type Row = Record<string, unknown>;

/** Normalises a timestamp to `YYYY-MM-DDTHH:mm:ss.sssZ`, so ISO strings compare as times. */
export const iso = (value: string | Date): string => new Date(value).toISOString();

/** The later of two ISO timestamps (either may be null). */
export const later = (a: unknown, b: string): string => (typeof a === 'string' && a > b ? a : b);

/** UTC day of a timestamp, `YYYY-MM-DD`. */
export const utcDay = (value: string) => iso(value).slice(0, 10);

const { builtins } = pg.types;
/** Rows load in the same JSON shape the handlers write, whatever parsers the process installed. */
const rowTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === builtins.TIMESTAMPTZ) return (v: string) => new Date(v).toISOString();
    if (oid === builtins.DATE) return (v: string) => v;
    if (oid === builtins.INT8) return (v: string) => Number.parseInt(v, 10);
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

/** Loads the rows of `table` whose `column` is one of `values`, keyed by `by` (default: `column`). */
export async function loadRows(
  tx: Queryable,
  table: string,
  column: string,
  values: Iterable<string>,
  by = column,
): Promise<Map<string, Row>> {
  const list = [...new Set(values)];
  if (list.length === 0) return new Map();
  return selectRowsBy(tx, `SELECT * FROM ${table} WHERE ${column} = ANY($1::text[])`, [list], by);
}

/** Runs a SELECT and returns its rows keyed by the `by` column, in the handlers' JSON shape. */
export async function selectRowsBy(
  tx: Queryable,
  text: string,
  values: unknown[],
  by: string,
): Promise<Map<string, Row>> {
  const result = await tx.query({ text, values, types: rowTypes });
  return new Map(result.rows.map((row) => [String(row[by]), row as Row]));
}

/**
 * Writes whole rows in one statement, queued until the batch commits: the JSON array is turned
 * into rows of the table's own type (json_populate_recordset), inserted, and on a key conflict
 * every listed column is replaced (or, with `onConflict: 'nothing'`, the stored row kept).
 */
export function saveRows(
  tx: ProjectionTx,
  table: string,
  conflictKey: string,
  columns: readonly string[],
  rows: Iterable<Row>,
  options: { onConflict?: 'update' | 'nothing' } = {},
): void {
  const list = [...rows];
  if (list.length === 0) return;
  const cols = columns.join(', ');
  const action =
    options.onConflict === 'nothing'
      ? 'DO NOTHING'
      : `DO UPDATE SET ${columns
          .filter((c) => c !== conflictKey)
          .map((c) => `${c} = EXCLUDED.${c}`)
          .join(', ')}`;
  tx.defer(
    `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${table}, $1::json)
     ON CONFLICT (${conflictKey}) ${action}`,
    [list],
  );
}
