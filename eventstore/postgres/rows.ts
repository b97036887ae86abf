import type { EventMetadata } from '../../domain/events/envelope.js';
import type { RecordedEvent } from '../port.js';
import { encodeCheckpoint } from './checkpoint.js';

/**
 * The event columns every read selects: positions and revisions as text (int8 as a number would
 * lose precision), the time as epoch milliseconds (parsing timestamptz text costs more).
 */
export interface EventRow {
  position: string;
  transaction_id: string;
  stream_name: string;
  stream_revision: string;
  event_id: string;
  event_type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_ms: number;
}

export const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  id: row.event_id,
  streamName: row.stream_name,
  type: row.event_type,
  data: row.data,
  metadata: row.metadata,
  revision: BigInt(row.stream_revision),
  position: encodeCheckpoint({ transactionId: row.transaction_id, position: row.position }),
  recordedAt: new Date(row.recorded_ms),
});
