import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

import { loadEnv } from "@causette/server/env";

const { dbUrl } = loadEnv();
const benchDir = fileURLToPath(new URL("..", import.meta.url));

if (!dbUrl)
  process.stdout.write("realtime bench smoke: skipped, DB_URL is unset (the bench needs a real PostgreSQL server)\n");

describe.skipIf(!dbUrl)("realtime bench (smoke)", () => {
  it("runs the three servers and the idle sockets, and prints their figures", async () => {
    const server = new URL(dbUrl!);
    server.pathname = "/";
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        "pnpm",
        ["exec", "tsx", "--conditions=@causette/source", "src/realtime-bench.ts", "--smoke", "--pg", server.toString()],
        { cwd: benchDir, timeout: 150_000, maxBuffer: 16 * 2 ** 20 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const figure = String.raw`\d+(\.\d+)? ms`;
    for (const kind of ["causette", "relay", "naive"]) {
      expect(output).toMatch(
        new RegExp(
          String.raw`\| ${kind} \| steady \d+/s \| \d+ \| \d+ \| ${figure} \| ${figure} \| 0 \| \d+% \| \d+ MB \| ${figure} \|`,
        ),
      );
      expect(output).toMatch(new RegExp(`${kind}: highest load sustained .*: \\d+ msg/s`));
    }
    // Committed before broadcast: every message the load sent is in PostgreSQL.
    expect(output).toMatch(/causette: \d+ messages stored in PostgreSQL/);
    expect(output).toMatch(
      /idle: (\d+)\/\1 authenticated sockets connected in [\d.]+ s, 0 errors; .* = [\d.]+ KB per socket/,
    );
  }, 180_000);
});
