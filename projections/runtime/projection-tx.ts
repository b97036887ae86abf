import type pg from 'pg';
import { CHANGES_CHANNEL, ChangeCollector, notifySql } from './change-notices.js';
import type { ProjectionTx } from './types.js';

/** A deferred value as it is bound: NULL, strings as they are, anything else as its JSON text. */
const asParameter = (value: unknown): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value);

/** A handler's view of the batch transaction; `takeWrites` hands over the queued writes, in order. */
export interface BatchTx extends ProjectionTx {
  takeWrites(): pg.QueryConfig[];
}

export interface ChangeAnnouncing {
  schema: string;
  model: string;
  /** false during a rebuild's replay: one notice at the swap instead of one per batch. */
  enabled: boolean;
}

export function projectionTx(client: pg.ClientBase, announcing?: ChangeAnnouncing): BatchTx {
  let deferred: pg.QueryConfig[] = [];
  let changes = new ChangeCollector();
  return {
    query: (text: string | pg.QueryConfig, values?: unknown[]) => client.query(text as string, values),
    defer(text, values = []) {
      deferred.push({ text, values: values.map(asParameter) });
    },
    announce(changed) {
      if (announcing?.enabled) changes.add(changed);
    },
    takeWrites() {
      const writes = deferred;
      if (announcing?.enabled) {
        for (const payload of changes.payloads(announcing.schema, announcing.model)) {
          writes.push({ text: notifySql, values: [CHANGES_CHANNEL, payload] });
        }
      }
      deferred = [];
      changes = new ChangeCollector();
      return writes;
    },
  } as BatchTx;
}

/**
 * Runs the queries in order in one round trip: node-postgres's pipeline mode writes them all
 * before reading any answer, each with its own Sync. Resolves with their results, or rejects with
 * the first error once every answer is in. Inside a transaction an error aborts it, so the
 * queries after it fail too and a trailing COMMIT rolls back.
 */
export async function pipelined(
  client: pg.ClientBase,
  queries: readonly (string | pg.QueryConfig)[],
): Promise<pg.QueryResult[]> {
  // node-postgres (>= 8.23) reads `pipeline` each time it sends; it is a constructor option, so
  // this pooled client is switched for these queries only, and back once all have answered.
  const mode = client as unknown as { pipeline: boolean };
  const before = mode.pipeline;
  mode.pipeline = true;
  let settled: PromiseSettledResult<pg.QueryResult>[];
  try {
    settled = await Promise.allSettled(queries.map((q) => client.query(q as pg.QueryConfig)));
  } finally {
    mode.pipeline = before;
  }
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<pg.QueryResult>).value);
}
