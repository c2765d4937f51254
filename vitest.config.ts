import { defineConfig } from 'vitest/config';

// Tests run on the TypeScript sources: the `@sysmail/source` export condition
// points every workspace package at its `src/index.ts`, so no build is needed.
const conditions = ['@sysmail/source', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test-servers/test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Fails any test whose transcripts, console output, errors or settings views contain a
    // secret the fake servers know (see the module's header).
    setupFiles: ['test-servers/test/support/secret-hygiene.ts'],
  },
});
