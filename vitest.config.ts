import { defineConfig } from "vitest/config";

// Tests run the workspace packages from their sources (the `@causette/source` export), so they
// need no build; vite's own default conditions follow.
const conditions = ["@causette/source", "node", "development|production"];

export default defineConfig({
  // `ssr` runs the tests; `__vitest__` runs the global setup.
  environments: { ssr: { resolve: { conditions } }, __vitest__: { resolve: { conditions } } },
  test: {
    reporters: ["default", "./scripts/summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["packages/*/test/**/*.int.test.ts", "apps/*/test/**/*.int.test.ts", "bench/test/**/*.int.test.ts"],
          globalSetup: ["apps/server/test/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          env: { NODE_ENV: "test" },
        },
      },
      {
        extends: true,
        test: {
          // Fault injection (issue 9): a private PostgreSQL and Redis, server nodes as processes,
          // killed and frozen on purpose. Each scenario runs once here; see BENCHMARKS.md for runs in a row.
          name: "faults",
          include: ["packages/*/test/faults/**/*.fault.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          env: { NODE_ENV: "test" },
        },
      },
      {
        extends: true,
        test: {
          // Type tests: compile-time assertions (`*.test-d.ts`) checked by tsc, nothing run.
          name: "sdk-types",
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: ["packages/sdk/test/**/*.test-d.ts"],
            tsconfig: "packages/sdk/tsconfig.json",
          },
        },
      },
    ],
  },
});
