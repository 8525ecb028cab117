/**
 * One-way dependencies, checked by `pnpm lint` (dependency-cruiser): no import cycle anywhere
 * (type-only imports included), and each package imports only what is under it:
 *   contracts  <-  db  <-  apps/server  <-  bench
 *   contracts  <-  sdk (and the server's AppRouter type, nothing else of the server)  <-  apps/web
 * Inside the server, services and errors.ts know nothing of the surfaces (tRPC, HTTP, socket.io).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle: move what both sides need into a module of its own.",
      from: {},
      to: { circular: true },
    },
    {
      name: "contracts-imports-nothing-of-ours",
      severity: "error",
      comment: "packages/contracts is the bottom layer: it imports no other package of this repository.",
      from: { path: "^packages/contracts/" },
      to: { path: "^(packages/(?!contracts/)|apps/|bench/|@causette/)" },
    },
    {
      name: "db-imports-only-contracts",
      severity: "error",
      comment: "packages/db may import packages/contracts, nothing else of ours.",
      from: { path: "^packages/db/" },
      to: { path: "^(packages/(?!(db|contracts)/)|apps/|bench/|@causette/(?!contracts$))" },
    },
    {
      name: "sdk-never-server-runtime",
      severity: "error",
      comment: "The SDK may import the server's AppRouter as a type, never the server's code.",
      from: { path: "^packages/sdk/src/" },
      to: { path: "^(apps/|packages/db/|bench/|@causette/(server|db|bench))", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "server-runtime-only-from-its-tests-and-bench",
      severity: "error",
      comment:
        "Nothing imports apps/server's code but the server itself, its tests, the benchmarks and other packages' tests (which start a real server).",
      from: { path: "^(packages/[^/]+/src/)" },
      to: { path: "^apps/server/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "web-only-on-the-sdk",
      severity: "error",
      comment: "apps/web is built on @causette/sdk alone: no other package of ours, no server code.",
      from: { path: "^apps/web/src/" },
      to: { path: "^(packages/(?!sdk/)|apps/(?!web/)|bench/|@causette/(?!sdk$))" },
    },
    {
      name: "server-code-not-from-tests",
      severity: "error",
      comment: "apps/server/src never imports test code.",
      from: { path: "^apps/server/src/", pathNot: "\\.test\\.ts$" },
      to: { path: "(^apps/server/test/|\\.test\\.ts$)" },
    },
    {
      name: "services-know-no-surface",
      severity: "error",
      comment:
        "Services and errors.ts throw AppError and know nothing of tRPC, HTTP or socket.io: the surfaces adapt to them.",
      from: { path: "^apps/server/src/(services/|errors\\.ts$)" },
      to: {
        path: "(^apps/server/src/(trpc|http|realtime)/|^apps/server/src/app\\.ts$|node_modules/(@trpc|express|socket\\.io)/)",
      },
    },
    {
      name: "no-unresolvable",
      severity: "error",
      comment: "An import that resolves to nothing: a missing dependency, or a package this one may not use.",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(apps|packages)/[^/]+/(dist|\\.turbo|coverage)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["@causette/source", "import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
    },
  },
};
