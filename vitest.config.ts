import { defineConfig } from 'vitest/config';

// One run over every package; each project keeps its own vitest.config.ts so a package tests alone too.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'test/vitest.config.ts'],
  },
});
