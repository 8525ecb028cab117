import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

import { ROOT_DIR } from "../src/env.ts";

const run = promisify(execFile);

/**
 * What an operator does: build the server, then `pnpm deploy --prod` it alone into `dir`. Under a
 * lock, since test files run at once: turbo rewrites dist/ while another copies it.
 */
export async function productionInstall(dir: string): Promise<void> {
  const script = `pnpm exec turbo run build --filter=@causette/server --output-logs=errors-only && pnpm --filter @causette/server deploy --prod "$1"`;
  await run("flock", [join(ROOT_DIR, "node_modules/.causette-build.lock"), "sh", "-c", script, "sh", dir], {
    cwd: ROOT_DIR,
  });
}

/** A free TCP port on loopback (free when asked: bind it soon). */
export async function sparePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/** Resolves when `child` has exited, with its exit code (or null after a signal). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return once(child, "exit").then(([code]) => code as number | null);
}

/** Polls `probe` until it answers true, or fails after `ms`. */
export async function until(probe: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A Redis server of the test's own (on a spare port unless given), without persistence, that the test may kill. */
export async function startPrivateRedis(port?: number): Promise<PrivateRedis> {
  port ??= await sparePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await until(() => Promise.resolve(output.includes("Ready to accept connections")), 10_000, "private redis-server");
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      child.kill("SIGKILL");
      await exited(child);
    },
  };
}
