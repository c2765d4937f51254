import { defineConfig } from 'vitest/config';

// The interop suite: sysmail's clients against real Postfix and Dovecot started by
// test-servers/real/start.sh. Same source conditions as vitest.config.ts; `npm test`
// never includes these files. One file at a time: the files share mailboxes and the
// POP-before-SMTP login record, and Dovecot slows logins after failures.
const conditions = ['@sysmail/source', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['test-servers/interop/**/*.interop.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', './test-servers/interop/support/matrix-reporter.ts'],
  },
});
