import { defineConfig } from "tsdown";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  platform: "neutral",
  target: "es2022",
  // `eager`: the contracts' declarations come from another package's sources, which the lazy
  // per-file emit does not reach.
  dts: { eager: true },
  sourcemap: true,
  clean: true,
  // The contracts are bundled from their sources (their `@causette/source` export), built or not.
  inputOptions: { resolve: { conditionNames: ["@causette/source", "import", "default"] } },
  deps: {
    // The contracts (a private workspace package) are bundled in, code and types, so a consumer
    // installs this one package; the real runtime dependencies stay external.
    alwaysBundle: [/^@causette\//],
    neverBundle: [/^@trpc\//, /^socket\.io-client/, /^engine\.io-client/, /^zod/],
  },
});
