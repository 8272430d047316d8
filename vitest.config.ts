import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Temporal SDK's native bridge is not safe in worker threads (sdk-typescript #876).
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    // Two cores: files that drive containers and a Temporal worker run better one or two at a time.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
