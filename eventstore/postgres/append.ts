import type pg from 'pg';
import {
  type AppendResult,
  DuplicateEventError,
  type ExpectedRevision,
  type NewEvent,
  WrongExpectedVersionError,
} from '../port.js';
import { encodeCheckpoint } from './checkpoint.js';
import { isUniqueViolation } from './errors.js';
import type { StoreNames } from './schema.js';
import { appendMode, appendSql, currentRevisionSql, existingIdsSql, type NotifyMode } from './statements.js';

type Queryable = Pick<pg.Pool, 'query'>;

/** node-postgres takes a per-query client-side deadline that its QueryConfig type leaves out. */
type Deadline = { query_timeout?: number };
const bounded = <T extends pg.QueryConfig>(config: T, timeoutMs: number | undefined): T & Deadline =>
  timeoutMs ? { ...config, query_timeout: timeoutMs } : config;

/**
 * Appends in one statement. Only when that statement writes nothing (the revision check failed)
 * or hits an event id that is already stored does a second look decide between an idempotent
 * re-append (success, nothing written), a conflict and a duplicate id.
 */
export async function appendEvents(
  db: Queryable,
  names: StoreNames,
  stream: string,
  events: NewEvent[],
  expected: ExpectedRevision,
  notify: NotifyMode,
  /** Client-side deadline of each query (the webhook waits on it; see PostgresEventStoreOptions). */
  timeoutMs?: number,
): Promise<AppendResult> {
  const ids = events.map((e) => e.id);
  if (new Set(ids).size !== ids.length) throw new TypeError(`Append to ${stream} repeats an event id`);
  if (events.length === 0) return checkOnly(db, names, stream, expected, timeoutMs);

  const mode = appendMode(expected);
  const single = events.length === 1;
  const column = <T>(f: (e: NewEvent) => T) => (single ? f(events[0] as NewEvent) : events.map(f));
  const values: unknown[] = [
    stream,
    events.length,
    column((e) => e.id),
    column((e) => e.type),
    column((e) => JSON.stringify(e.data ?? null)),
    column((e) => JSON.stringify(e.metadata)),
  ];
  if (mode === 'revision') values.push(String(expected));
  try {
    const result = await db.query<{ revision: string; transaction_id: string; position: string }>(
      bounded(
        {
          name: `es:${names.schema}:append:${mode}:${notify}:${single ? 1 : 'n'}`,
          text: appendSql(names, mode, notify, single),
          values,
        },
        timeoutMs,
      ),
    );
    // The returned rows are the appended events; the last one (highest revision) is the result.
    const row = result.rows.at(-1);
    if (row) {
      return {
        nextExpectedRevision: BigInt(row.revision),
        position: encodeCheckpoint({ transactionId: row.transaction_id, position: row.position }),
      };
    }
  } catch (error) {
    // An event id already stored: most often the same append retried, decided below.
    if (!isUniqueViolation(error, 'events_event_id_key')) throw error;
  }
  return explainRejected(db, names, stream, ids, expected, timeoutMs);
}

async function currentRevision(
  db: Queryable,
  names: StoreNames,
  stream: string,
  timeoutMs: number | undefined,
): Promise<bigint | 'no_stream'> {
  const { rows } = await db.query<{ revision: string }>(
    bounded(
      { name: `es:${names.schema}:current-revision`, text: currentRevisionSql(names), values: [stream] },
      timeoutMs,
    ),
  );
  return rows[0] ? BigInt(rows[0].revision) : 'no_stream';
}

function satisfies(expected: ExpectedRevision, actual: bigint | 'no_stream'): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 'no_stream';
  if (expected === 'stream_exists') return actual !== 'no_stream';
  return actual === expected;
}

async function checkOnly(
  db: Queryable,
  names: StoreNames,
  stream: string,
  expected: ExpectedRevision,
  timeoutMs: number | undefined,
) {
  const actual = await currentRevision(db, names, stream, timeoutMs);
  if (!satisfies(expected, actual)) throw new WrongExpectedVersionError(stream, expected, actual);
  return { nextExpectedRevision: actual === 'no_stream' ? -1n : actual };
}

async function explainRejected(
  db: Queryable,
  names: StoreNames,
  stream: string,
  ids: string[],
  expected: ExpectedRevision,
  timeoutMs: number | undefined,
): Promise<AppendResult> {
  const { rows } = await db.query<{ id: string; stream_name: string; revision: string }>(
    bounded({ name: `es:${names.schema}:existing-ids`, text: existingIdsSql(names), values: [ids] }, timeoutMs),
  );
  const existing = new Map(rows.map((r) => [r.id, { stream: r.stream_name, revision: BigInt(r.revision) }]));
  const decision = decideRetry(stream, ids, expected, existing);
  if (decision.kind === 'noop') return { nextExpectedRevision: decision.lastRevision };
  if (decision.kind === 'duplicate') throw new DuplicateEventError(stream, decision.eventId);
  const actual = await currentRevision(db, names, stream, timeoutMs);
  // The revision matched, so what failed is an id this stream already holds at another place.
  if (existing.size > 0 && satisfies(expected, actual))
    throw new DuplicateEventError(stream, existing.keys().next().value as string);
  throw new WrongExpectedVersionError(stream, expected, actual);
}

export type RetryDecision =
  | { kind: 'noop'; lastRevision: bigint }
  | { kind: 'conflict' }
  | { kind: 'duplicate'; eventId: string };

/**
 * KurrentDB's idempotency rules: the same ids, in the same order, already at the place the
 * expected revision names are a no-op; with 'any' (and 'stream_exists', which names no place)
 * ids already in this stream are a no-op wherever they are. Ids stored in another stream, or
 * only some of them stored, are a duplicate (ids are unique in this store); none stored means
 * the revision check simply failed.
 */
export function decideRetry(
  stream: string,
  ids: string[],
  expected: ExpectedRevision,
  existing: Map<string, { stream: string; revision: bigint }>,
): RetryDecision {
  if (existing.size === 0) return { kind: 'conflict' };
  const found = ids.map((id) => existing.get(id));
  const misplaced = ids.findIndex((_, i) => found[i]?.stream !== stream);
  if (misplaced >= 0) {
    const elsewhere = ids.find((_, i) => found[i] !== undefined && found[i]?.stream !== stream);
    return { kind: 'duplicate', eventId: elsewhere ?? (ids.find((id) => existing.has(id)) as string) };
  }
  const revisions = found.map((f) => (f as { revision: bigint }).revision);
  let last = revisions[0] as bigint;
  for (const r of revisions) if (r > last) last = r;
  if (expected === 'any' || expected === 'stream_exists') return { kind: 'noop', lastRevision: last };
  const first = revisions[0] as bigint;
  const inOrder = revisions.every((r, i) => r === first + BigInt(i));
  const place = expected === 'no_stream' ? 0n : expected + 1n;
  return inOrder && first === place ? { kind: 'noop', lastRevision: last } : { kind: 'conflict' };
}
