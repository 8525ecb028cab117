import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

import { loadEnv } from "@causette/server/env";

const { dbUrl } = loadEnv();
const benchDir = fileURLToPath(new URL("..", import.meta.url));

if (!dbUrl)
  process.stdout.write("group bench smoke: skipped, DB_URL is unset (the bench needs a real PostgreSQL server)\n");

describe.skipIf(!dbUrl)("group bench (smoke)", () => {
  it("measures fan-out against bare socket.io and mark-read against rooms of two, and prints the figures", async () => {
    const server = new URL(dbUrl!);
    server.pathname = "/";
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        "pnpm",
        ["exec", "tsx", "--conditions=@causette/source", "src/group-bench.ts", "--smoke", "--pg", server.toString()],
        { cwd: benchDir, timeout: 150_000, maxBuffer: 16 * 2 ** 20 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const figure = String.raw`\d+(\.\d+)? ms`;
    for (const kind of ["causette", "relay"]) {
      // Every message sent reached every other member (on a loaded machine the level may read as saturated).
      expect(output).toMatch(
        new RegExp(String.raw`\| ${kind} \| 20/s(, saturated)? \| (\d+) \| \2 \| \d+ \| ${figure} \| ${figure} \|`),
      );
    }
    expect(output).toMatch(/fan-out: highest deliveries\/s causette \d+, bare socket.io \d+ \(\d+%\)/);
    expect(output).toMatch(new RegExp(String.raw`\| one group of 50 \| 10 \| 100 \| 0 \| ${figure} \| ${figure} \|`));
    expect(output).toMatch(/mark-read p99: group of 50 [\d.]+ ms, rooms of two [\d.]+ ms/);
  }, 180_000);
});
