import { defineConfig } from 'vitest/config';

// Browser end-to-end specs: Debian Chromium driven by playwright-core against `vite preview` of the production build.
export default defineConfig({
  test: {
    include: ['e2e/**/*.spec.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
