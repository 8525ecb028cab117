import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";

import { http, startServer, type TestServer } from "@causette/server/test-harness";

/** The README's order on one server: its curl sign-up, then the quickstart, twice; as processes. */
const SDK_DIR = fileURLToPath(new URL("../", import.meta.url));
const run = promisify(execFile);

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

it("the quickstart runs after the README's curl example, and again, without an error", async () => {
  const curl = await http(server.url).post("/api/user", {
    username: "ana",
    email: "ana@example.com",
    password: "correct horse battery",
  });
  expect(curl.status).toBe(201);
  for (let i = 0; i < 2; i += 1) {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--conditions=@causette/source", "--import", "tsx", "examples/quickstart.ts", server.url],
      {
        cwd: SDK_DIR,
        timeout: 60_000,
      },
    );
    expect(stderr).toBe("");
    expect(stdout).toContain("Bonjour Bob");
    expect(stdout).toMatch(/BAD_REQUEST 400/);
  }
}, 150_000);
