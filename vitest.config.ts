import { defineConfig } from 'vitest/config';

// Black-box tests start real gateways (one per test file and store), so files run in
// separate forks, two at a time on this 2-core machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
