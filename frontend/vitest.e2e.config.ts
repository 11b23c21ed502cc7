import { defineConfig } from 'vitest/config';

// Browser tests against the real `bedrud` binary (see e2e/README.md).
// Separate from the unit tests: `npm test` only includes tests/**/*.test.ts.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    // One server, one browser at a time: files and tests run sequentially.
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 60_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
    retry: 0,
    reporters: ['default'],
  },
});
