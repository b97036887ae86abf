import type { EventStore } from '../../eventstore/port.js';
import type { Pool } from '../../infra/db.js';
import { READ_MODELS } from '../../projections/registry.js';
import { readCheckpoints } from '../../projections/runtime/checkpoints.js';
import { filterFor } from '../../projections/runtime/events.js';
import { measureLag } from '../../projections/runtime/lag.js';
import { READ_MODEL_SCHEMA } from '../../projections/shared/sql.js';

/**
 * How far the projector (another process) is behind: for each read model, the age of the oldest
 * event it handles that is past its stored checkpoint (what the projector's stats().lag reports),
 * read from the database; the worst read model counts.
 */
export async function projectionLagSeconds(store: EventStore, pool: Pool): Promise<number> {
  const checkpoints = new Map((await readCheckpoints(pool, READ_MODEL_SCHEMA)).map((c) => [c.name, c.checkpoint]));
  const lags = await Promise.all(
    READ_MODELS.map((model) =>
      measureLag(store, checkpoints.get(model.name) ?? null, filterFor(model), { cap: 1 }).then((l) => l.seconds),
    ),
  );
  return Math.max(0, ...lags);
}

/** True when every read model has applied every event it handles. */
export async function projectionsCaughtUp(store: EventStore, pool: Pool): Promise<boolean> {
  const checkpoints = new Map((await readCheckpoints(pool, READ_MODEL_SCHEMA)).map((c) => [c.name, c.checkpoint]));
  if (checkpoints.size < READ_MODELS.length) return false;
  const lags = await Promise.all(
    READ_MODELS.map((model) => measureLag(store, checkpoints.get(model.name) ?? null, filterFor(model), { cap: 1 })),
  );
  return lags.every((l) => l.events === 0);
}

/** Samples the lag every `intervalMs` until stopped; failed samples (a database restart) are skipped. */
export function sampleProjectionLag(store: EventStore, pool: Pool, intervalMs = 500) {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      await projectionLagSeconds(store, pool)
        .then((s) => samples.push(s))
        .catch(() => {});
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
    }
  })();
  return {
    samples,
    async stop(): Promise<number[]> {
      running = false;
      await loop;
      return samples;
    },
  };
}
