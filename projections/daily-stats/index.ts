export { DAILY_STATS_EVENTS, dailyStatsReadModel } from './handler.js';
export * from './queries.js';
