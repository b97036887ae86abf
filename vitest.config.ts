import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    // Two cores: two test files at a time keeps PostgreSQL and Temporal responsive.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS ?? 2),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
