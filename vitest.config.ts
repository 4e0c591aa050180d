import { defineConfig } from 'vitest/config';

// Tests import workspace packages by name, as users do; the `@eventfold/source`
// export condition points those imports at the TypeScript sources, so no build is needed.
// No 'import' here: pg's CJS entry would resolve to its ESM wrapper and fail to load.
const conditions = ['@eventfold/source', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@eventfold/source'] } },
  test: {
    // Property tests print their seed on failure; FC_SEED / FC_PATH replay one.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{packages,examples,scripts,test}/**/*.unit.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['{packages,examples,test}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Integration suites share real servers; run files one at a time so one suite's
          // restarts and load never disturb another's timing.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'types',
          include: [],
          typecheck: { enabled: true, only: true, include: ['packages/**/*.test-d.ts'], tsconfig: './packages/core/tsconfig.json' },
        },
      },
    ],
  },
});
