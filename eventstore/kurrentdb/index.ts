export { KurrentDbEventStore } from './store.js';
