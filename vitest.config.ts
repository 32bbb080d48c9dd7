import { defineConfig } from 'vitest/config';

// Unit and Node-integration tests (pure core, Node host, exporter). Browser specs live in e2e/ (vitest.e2e.config.ts).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tools/**/*.test.ts', 'workers/**/*.test.ts', 'e2e/support/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
