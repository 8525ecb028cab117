import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

import { createEmptyDatabase } from "./database.ts";
import { env, http } from "./harness.ts";
import { exited, productionInstall, until } from "./processes.ts";

/**
 * What an operator does: build, `pnpm deploy --prod` the server alone into a directory, and run it
 * with plain `node` (no TypeScript loader, no dev dependencies), over a database it migrates itself.
 */
it("a production install of the server starts with node, migrates and serves", async () => {
  const dir = await mkdtemp(join(tmpdir(), "causette-deploy-"));
  const database = env.dbUrl ? await createEmptyDatabase(env.dbUrl) : undefined;
  try {
    const app = join(dir, "app");
    await productionInstall(app);
    expect(existsSync(join(app, "dist/main.js"))).toBe(true);
    expect(existsSync(join(app, "node_modules/tsx"))).toBe(false);
    expect(existsSync(join(app, "node_modules/@causette/db/migrations/001_init.sql"))).toBe(true);

    const child = spawn(process.execPath, ["dist/main.js"], {
      cwd: app,
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        // Production needs a real PostgreSQL; without one, `test` runs on the embedded database.
        NODE_ENV: database ? "production" : "test",
        ...(database ? { DB_URL: database.url } : { DATA_DIR: join(dir, "pglite") }),
        JWT: "a-production-install-test-secret-0000000",
        COOKIE: "a-production-install-cookie-secret-00000",
        HOST: "127.0.0.1",
        PORT: "0",
        METRICS_PORT: "0",
      },
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      await until(
        () => Promise.resolve(/"msg":"Causette listening/.test(output)),
        30_000,
        "the deployed server to listen",
      );
      await until(() => Promise.resolve(/"msg":"Metrics served/.test(output)), 10_000, "the metrics port to listen");
      const portOf = (msg: string) =>
        Number(/"port":(\d+)/.exec(output.split("\n").find((line) => line.includes(msg))!)![1]);
      const api = http(`http://127.0.0.1:${portOf("Causette listening")}`);
      expect(await api.get("/api/health/ready")).toMatchObject({ status: 200, body: { status: "ready" } });
      const signUp = await api.post("/api/user", {
        username: "deployed",
        email: "d@example.com",
        password: "correct horse",
      });
      expect(signUp.status).toBe(201);
      // METRICS_PORT: the metrics there, and not on the public port.
      const metrics = await fetch(`http://127.0.0.1:${portOf("Metrics served")}/metrics`);
      expect(await metrics.text()).toMatch(
        /^causette_http_request_duration_seconds_count\{method="POST",route="\/api\/user",status="201"\} 1$/m,
      );
      expect((await api.get("/metrics")).status).toBe(404);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited(child)).toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await database?.drop();
  }
}, 180_000);
