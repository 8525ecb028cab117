import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const BENCH_DIR = fileURLToPath(new URL("..", import.meta.url));
const TSX = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

/** Runs the benchmark script as `pnpm bench:rest` would, tiny; answers what it printed. */
function runSmoke(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = [
    "--conditions=@causette/source",
    "src/rest-bench.ts",
    "--messages",
    "3000",
    "--rooms",
    "30",
    "--users",
    "80",
    "--hub-rooms",
    "10",
    // Windows long enough that a request started in one ends in it on a machine at load 20 (a page
    // with reactions then takes 100-200 ms), yet the whole run stays well under a minute.
    "--duration",
    "1.5",
    "--warmup",
    "0.2",
    "--settle",
    "0.2",
    "--connections",
    "4",
    // Its own database (dropped afterwards) when DB_URL is set; the embedded PGlite otherwise.
    "--database",
    `causette_bench_smoke_${randomBytes(4).toString("hex")}`,
    "--drop",
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, args, { cwd: BENCH_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

it(
  "the REST benchmark's smoke run seeds, measures every scenario and prints its figures",
  { timeout: 180_000 },
  async () => {
    const { code, stdout, stderr } = await runSmoke();
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^machine: \d+ cores/m);
    expect(stdout).toMatch(/seeded 3,000 messages, 30 rooms, 80 users in [\d.]+ s/);
    const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
    expect(line, stdout).toBeDefined();
    const result = JSON.parse(line!.slice("RESULT ".length)) as {
      rows: Array<{ name: string; count: number; failures: number; p99: number; reqPerSec: number }>;
    };
    const names = result.rows.map((r) => r.name);
    for (const expected of [
      /^history latest \(app\)/,
      /^history latest \(baseline/,
      /^history before= .* deep \(app\)/,
      /^room list/,
      /^search common word, one room/,
      /^search rare word, all 10 rooms/,
    ]) {
      expect(
        names.some((n) => expected.test(n)),
        String(expected),
      ).toBe(true);
    }
    for (const row of result.rows) {
      expect(row.count, row.name).toBeGreaterThan(0);
      expect(row.failures, row.name).toBe(0);
      expect(row.p99).toBeGreaterThan(0);
      expect(row.reqPerSec).toBeGreaterThan(0);
    }
    expect(stdout).toMatch(/app\/baseline throughput: \d+%/);
  },
);
