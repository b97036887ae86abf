import { describe, it } from 'vitest';
import { KurrentDbEventStore } from '../../eventstore/kurrentdb/store.js';
import { eventStoreContract } from './contract.js';

/**
 * The same contract against a real KurrentDB (e.g. `docker run -p 2113:2113
 * kurrentplatform/kurrentdb --insecure --run-projections=All`, then
 * KURRENTDB_URL=kurrentdb://localhost:2113?tls=false). Without KURRENTDB_URL it is skipped, and says so.
 */
const url = process.env.KURRENTDB_URL;

describe.skipIf(Boolean(url))('kurrentdb event store', () => {
  it.skip('skipped: KURRENTDB_URL not set (no KurrentDB server to run the contract against)', () => {});
});

if (url) {
  eventStoreContract('kurrentdb', {
    create: async () => ({ store: new KurrentDbEventStore({ url }) }),
    stressRepeat: Number(process.env.EVENTSTORE_STRESS_REPEAT ?? 1),
  });
} else {
  console.warn('kurrentdb.int.test.ts skipped: KURRENTDB_URL not set');
}
