import type pg from 'pg';
import type { ProjectionTx } from './types.js';

/**
 * A dollar-quoted string constant: nothing inside needs escaping, so a large JSON payload costs
 * one scan for the tag instead of a character-by-character copy (pg.escapeLiteral).
 */
export function dollarQuote(text: string): string {
  let tag = 'v';
  for (let i = 0; text.includes(`$${tag}$`); i++) tag = `v${i}`;
  return `$${tag}$${text}$${tag}$`;
}

/** `$n` placeholders replaced by literals: NULL, strings as they are, anything else as JSON text. */
export function inlineParameters(text: string, values: readonly unknown[] = []): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const value = values[Number(n) - 1];
    if (value === null || value === undefined) return 'NULL';
    return dollarQuote(typeof value === 'string' ? value : JSON.stringify(value));
  });
}

/** A handler's view of the batch transaction; `flushSql` is the queued writes as one SQL string. */
export function projectionTx(client: pg.ClientBase): ProjectionTx & { flushSql(): string } {
  const deferred: string[] = [];
  return {
    query: (text: string | pg.QueryConfig, values?: unknown[]) => client.query(text as string, values),
    defer(text, values) {
      deferred.push(inlineParameters(text, values));
    },
    flushSql() {
      const sql = deferred.join(';\n');
      deferred.length = 0;
      return sql;
    },
  } as ProjectionTx & { flushSql(): string };
}
