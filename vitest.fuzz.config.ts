import { defineConfig } from 'vitest/config';

// Fuzz campaigns: long fast-check runs over every parser and encoder, kept out of `npm test`.
// FUZZ_RUNS sets the runs per property (default 200 000; CI uses a bounded count).
const conditions = ['@sysmail/source', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['fuzz/**/*.fuzz.ts'],
    environment: 'node',
    testTimeout: 0,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
