import { type TSchema, Type } from '@sinclair/typebox';
import pg from 'pg';
import type { Queryable } from './sql.js';

const { builtins } = pg.types;
/** JSON-ready values whatever parsers the process installed: ISO times, YYYY-MM-DD dates, numbers. */
const viewTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === builtins.TIMESTAMPTZ) return (v: string) => new Date(v).toISOString();
    if (oid === builtins.DATE) return (v: string) => v;
    if (oid === builtins.INT8 || oid === builtins.NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Runs a read query and returns its rows with camelCase keys and JSON-ready values. */
export async function selectRows<T>(db: Queryable, text: string, values: unknown[] = []): Promise<T[]> {
  const result = await db.query({ text, values, types: viewTypes });
  return result.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), v])) as T);
}

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const IsoTime = Type.String({ format: 'date-time' });
export const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

/** A page of a keyset-paginated list; pass nextCursor back as `cursor` for the next page. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });

export interface PageOf<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
export const clampLimit = (limit: number | undefined) => Math.min(Math.max(1, limit ?? DEFAULT_LIMIT), MAX_LIMIT);

/** Opaque keyset cursor: the sort key of the last row of a page. */
export const encodeCursor = (at: string | null, key: string) =>
  Buffer.from(JSON.stringify([at, key])).toString('base64url');

export class InvalidCursorError extends Error {
  constructor() {
    super('Invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return [value[0], value[1]];
    }
  } catch {}
  throw new InvalidCursorError();
}

/** Builds a WHERE clause from optional conditions; `add` returns the placeholder for a value. */
export function conditions() {
  const clauses: string[] = [];
  const values: unknown[] = [];
  return {
    values,
    add(value: unknown) {
      values.push(value);
      return `$${values.length}`;
    },
    where(clause: string) {
      clauses.push(clause);
    },
    get sql() {
      return clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
    },
  };
}

/** Takes limit+1 rows to know whether there is a next page. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => string): PageOf<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? cursorOf(last) : null };
}
