import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    // 2-core machines: two files at a time keeps Temporal and PostgreSQL responsive.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS ?? 2),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
