import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
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

export interface TcpProxy {
  port: number;
  /** Stops moving bytes either way (connections stay open, new ones are accepted and held): a frozen peer. */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

/**
 * A TCP relay to `target` on loopback that can freeze: what a server stopped by SIGSTOP looks like
 * from its clients, without stopping a server anyone else uses.
 */
export async function startTcpProxy(target: number): Promise<TcpProxy> {
  let frozen = false;
  const links = new Set<{ from: Socket; to: Socket; held: Buffer[] }>();
  const relay = (from: Socket, to: Socket) => {
    const link = { from, to, held: [] as Buffer[] };
    links.add(link);
    from.on("data", (chunk: Buffer) => {
      if (frozen) link.held.push(chunk);
      else to.write(chunk);
    });
    from.on("error", () => from.destroy());
    from.on("close", () => {
      links.delete(link);
      to.destroy();
    });
  };
  const server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    relay(client, upstream);
    relay(upstream, client);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const link of links) for (const chunk of link.held.splice(0)) link.to.write(chunk);
    },
    async close() {
      for (const link of links) link.from.destroy();
      server.close();
      await once(server, "close");
    },
  };
}
