import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

import { loadEnv } from "@causette/server/env";

const { dbUrl } = loadEnv();
const benchDir = fileURLToPath(new URL("..", import.meta.url));

describe("upload bench (smoke)", () => {
  it("streams concurrent uploads to the app, and prints throughput against fs.createWriteStream and the server's memory growth", async () => {
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        "pnpm",
        [
          "exec",
          "tsx",
          "--conditions=@causette/source",
          "src/upload-bench.ts",
          "--smoke",
          ...(dbUrl ? ["--pg", dbUrl] : []),
        ],
        // Without DB_URL the bench runs on the embedded database.
        { cwd: benchDir, timeout: 150_000, maxBuffer: 16 * 2 ** 20 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(output).toMatch(/load: 4 concurrent uploads of 2 MB \(8 MB\)/);
    expect(output).toMatch(/baseline \(fs\.createWriteStream x4\): \d+ MB\/s before, \d+ MB\/s after; mean \d+ MB\/s/);
    expect(output).toMatch(/uploads \(HTTP multipart to the app, x4\): \d+ MB\/s in [\d.]+ s/);
    expect(output).toMatch(/app\/baseline throughput: \d+%/);
    // Four 2 MB uploads stay far below the budget, whatever the machine's load.
    expect(output).toMatch(/server RSS: \d+ MB before, peak \d+ MB: growth -?[\d.]+ MB \(target < 100 MB: met\)/);
  }, 180_000);
});
