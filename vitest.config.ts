import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default", "./scripts/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
        },
      },
      {
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
