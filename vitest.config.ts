import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// Black-box tests start real gateways (one per test file and store), so files run in
// separate forks, two at a time on this 2-core machine.
export default defineConfig({
  resolve: {
    alias: [
      // graphql 16 ships index.mjs ("module") and index.js ("main"). Vite would hand our sources the .mjs
      // while Apollo, graphql-ws and graphql-tools load the .js through Node, and graphql refuses a schema
      // from "another module or realm". Node itself always picks index.js, so the tests do the same.
      { find: /^graphql$/, replacement: require.resolve('graphql') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
