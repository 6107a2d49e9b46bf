import { defineConfig } from 'vitest/config';
import { isTypeFetchFailure } from './src/db/driver-errors.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more workers than that only make PGlite start-ups slower.
    maxWorkers: 2,
    // postgres.js's unawaited array-type fetch failing on a connection lost while it was set up (the outage tests
    // cut connections at any moment): the servers survive it (main/driver-guard.ts); it is no test's failure.
    onUnhandledError: (error) => !isTypeFetchFailure(error),
  },
});
