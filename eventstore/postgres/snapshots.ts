import type pg from 'pg';
import type { SnapshotStore } from '../port.js';
import { orUnavailable } from './errors.js';
import type { StoreNames } from './schema.js';

/** Snapshots in the store's `snapshots` table, one row per stream and fold version. */
export function postgresSnapshots(pool: pg.Pool, names: StoreNames): SnapshotStore {
  return {
    read: (stream, version) =>
      orUnavailable('readSnapshot', async () => {
        const { rows } = await pool.query<{ revision: string; event_id: string; state: string }>({
          name: `es:${names.schema}:snapshot-read`,
          text: `SELECT revision::text AS revision, event_id::text AS event_id, state
                 FROM ${names.snapshots} WHERE stream_name = $1 AND version = $2`,
          values: [stream, version],
        });
        const row = rows[0];
        return row ? { version, revision: BigInt(row.revision), eventId: row.event_id, state: row.state } : undefined;
      }),
    write: (stream, snapshot) =>
      orUnavailable('writeSnapshot', async () => {
        await pool.query({
          name: `es:${names.schema}:snapshot-write`,
          // Two readers may write at once: the one at the higher revision stays (one at the same revision
          // holds the same fold, and replaces a snapshot that could not be decoded).
          text: `INSERT INTO ${names.snapshots} AS s (stream_name, version, revision, event_id, state)
                 VALUES ($1, $2, $3::bigint, $4::uuid, $5)
                 ON CONFLICT (stream_name, version) DO UPDATE
                   SET revision = EXCLUDED.revision, event_id = EXCLUDED.event_id, state = EXCLUDED.state, taken_at = now()
                   WHERE s.revision <= EXCLUDED.revision`,
          values: [stream, snapshot.version, String(snapshot.revision), snapshot.eventId, snapshot.state],
        });
      }),
  };
}
