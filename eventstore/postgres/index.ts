export { decodeCheckpoint, encodeCheckpoint, type LogPosition } from './checkpoint.js';
export { PostgresEventStore, type PostgresEventStoreOptions } from './store.js';
