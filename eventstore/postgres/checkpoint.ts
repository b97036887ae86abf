import type { Checkpoint } from '../port.js';

/**
 * A PostgreSQL checkpoint is the pair (transaction id, position) of an event, written
 * `<xid8>:<position>`. Events are ordered by that pair, never by position alone (see README).
 */
export interface LogPosition {
  transactionId: string;
  position: string;
}

/** Before every event: `(0, 0)` is lower than any real pair. */
export const LOG_START: LogPosition = { transactionId: '0', position: '0' };
/** After every event, for backwards reads from the end. */
export const LOG_END: LogPosition = { transactionId: '18446744073709551615', position: '9223372036854775807' };

export const encodeCheckpoint = (p: LogPosition): Checkpoint => `${p.transactionId}:${p.position}`;

export function decodeCheckpoint(checkpoint: Checkpoint): LogPosition {
  const match = /^(\d{1,20}):(\d{1,19})$/.exec(checkpoint);
  if (!match) throw new TypeError(`Not a PostgreSQL event store checkpoint: ${JSON.stringify(checkpoint)}`);
  return { transactionId: match[1] as string, position: match[2] as string };
}
