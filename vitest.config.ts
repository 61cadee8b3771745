import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/deploy/global-setup.ts'],
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: on the 2-core machine the guide names, one file at a time.
    // Two workers keep both cores busy (the main process only collects results).
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'us-west-2', NODE_NO_WARNINGS: '1' },
  },
});
