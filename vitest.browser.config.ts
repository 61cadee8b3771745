import { defineConfig } from 'vitest/config';

/** npm run test:browser: the pages rendered in headless Chromium (test/browser/*.browser.ts). */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'us-west-2', NODE_NO_WARNINGS: '1' },
  },
});
