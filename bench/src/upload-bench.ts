/**
 * Concurrent uploads: N clients each stream one file of S MB to `POST /api/files` at once, against
 * the real app in a child process (upload-server.ts). Measures the server's resident memory growth
 * (its peak during the run minus its size just before, after a GC) and the throughput, against a
 * baseline measured in the same run: the same bytes, in the same chunks, written by N concurrent
 * `fs.createWriteStream`s to the same disk (run before and after the uploads; their mean is the
 * baseline).
 *
 *   tsx --conditions=@causette/source src/upload-bench.ts [--uploads 20 --size-mb 25] [--pg URL] [--smoke]
 *
 * `--pg` (a PostgreSQL server; default DB_URL's) holds the file rows in a fresh database of the
 * run's own (`causette_upload_bench_<pid>`, dropped at the end); without one, the embedded
 * PostgreSQL runs in the server's process.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";

import { loadEnv } from "@causette/server/env";

import { freshDatabase } from "./children.ts";
import { machineLine } from "./stats.ts";
import type { UploadChildMessage, UploadParentMessage } from "./upload-server.ts";

const { values: flags } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    uploads: { type: "string" },
    "size-mb": { type: "string" },
    pg: { type: "string", default: loadEnv().dbUrl },
  },
});

const smoke = flags.smoke;
const uploads = Number(flags.uploads ?? (smoke ? 4 : 20));
const size = Math.round(Number(flags["size-mb"] ?? (smoke ? 2 : 25)) * 2 ** 20);
const CHUNK = 64 * 1024;
/** The target: the server's memory grows by less than this while the uploads run. */
const RSS_BUDGET_MB = 100;

const mb = (bytes: number) => bytes / 2 ** 20;
const loadLine = () =>
  `load average (1, 5, 15 min): ${loadavg()
    .map((l) => l.toFixed(2))
    .join(", ")}`;

/** Random bytes (so that nothing sniffs them as text or an image), served in CHUNK slices. */
const source = randomBytes(2 ** 20);
const chunkAt = (offset: number, end: number) => {
  const start = offset % source.length;
  return source.subarray(start, start + Math.min(CHUNK, end - offset, source.length - start));
};

/** Writes `bytes` bytes to `out` chunk by chunk, waiting for `drain` as a well-behaved writer does. */
async function pump(out: Writable, bytes: number): Promise<void> {
  for (let offset = 0; offset < bytes;) {
    const chunk = chunkAt(offset, bytes);
    offset += chunk.length;
    if (!out.write(chunk)) await new Promise((resolve) => out.once("drain", resolve));
  }
}

/** The baseline: N concurrent createWriteStreams of the same bytes; answers seconds taken. */
async function baseline(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "causette-upload-baseline-"));
  try {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: uploads }, async (_, i) => {
        const out = createWriteStream(join(dir, `file-${i}`));
        const closed = new Promise<void>((resolve, reject) => out.once("close", () => resolve()).once("error", reject));
        await pump(out, size);
        out.end();
        await closed;
      }),
    );
    return (performance.now() - started) / 1000;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function startServer(dbUrl: string | undefined) {
  const child = fork(
    fileURLToPath(new URL("./upload-server.ts", import.meta.url)),
    [...(dbUrl ? ["--db", dbUrl] : []), "--max-bytes", String(size)],
    { execArgv: [...process.execArgv, "--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const next = <T extends UploadChildMessage["type"]>(type: T) =>
    new Promise<Extract<UploadChildMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (message: UploadChildMessage) => {
        if (message.type !== type) return;
        child.off("message", onMessage).off("exit", onExit);
        resolve(message as Extract<UploadChildMessage, { type: T }>);
      };
      const onExit = (code: number | null) => reject(new Error(`the server exited (${code})`));
      child.on("message", onMessage).once("exit", onExit);
    });
  const ask = <T extends UploadChildMessage["type"]>(message: UploadParentMessage, answer: T) => {
    const reply = next(answer);
    child.send(message);
    return reply;
  };
  return { child, ready: next("ready"), ask };
}

async function json<T>(url: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** One streamed multipart upload; answers its duration in ms once the server answered 201. */
function upload(url: string, token: string, i: number): Promise<number> {
  const boundary = `bench${randomBytes(8).toString("hex")}`;
  const head = Buffer.from(
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="upload-${i}.bin"\r\n` +
      `content-type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/files`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": String(head.length + size + tail.length),
      },
    });
    req.once("error", reject);
    req.once("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.once("end", () => {
        const answer = JSON.parse(Buffer.concat(chunks).toString()) as { size?: number };
        if (res.statusCode !== 201 || answer.size !== size) {
          reject(new Error(`upload ${i}: ${res.statusCode} ${JSON.stringify(answer)}`));
        } else resolve(performance.now() - started);
      });
    });
    req.write(head);
    pump(req, size).then(() => req.end(tail), reject);
  });
}

async function main() {
  console.log(machineLine());
  console.log(`before: ${loadLine()}`);
  const pgServer = flags.pg ? new URL(flags.pg) : undefined;
  let dbUrl: string | undefined;
  if (pgServer) {
    pgServer.pathname = "/";
    const db = new URL(pgServer);
    db.pathname = `/causette_upload_bench_${process.pid}`;
    await (await freshDatabase(pgServer, db, 0)).end();
    dbUrl = db.toString();
  }
  console.log(
    `database: ${dbUrl ? `PostgreSQL ${new URL(dbUrl).host}${new URL(dbUrl).pathname}` : "embedded (PGlite)"}`,
  );
  console.log(
    `load: ${uploads} concurrent uploads of ${mb(size).toFixed(0)} MB (${mb(uploads * size).toFixed(0)} MB), ` +
      `streamed in ${CHUNK / 1024} KB chunks; files on the disk under ${tmpdir()}`,
  );

  const server = startServer(dbUrl);
  try {
    const { port } = await server.ready;
    const url = `http://127.0.0.1:${port}`;
    const credentials = { email: "bench@example.com", password: "correct horse battery" };
    await json(url, "/api/user", { username: "bench", ...credentials });
    const { token } = await json<{ token: string }>(url, "/api/user/connexion", credentials);
    // A first upload warms the path (modules, pool, store) before anything is measured.
    await upload(url, token, -1);

    const before = await baseline();
    const { rssBytes: rssBefore } = await server.ask({ type: "mark" }, "marked");
    const started = performance.now();
    const durations = await Promise.all(Array.from({ length: uploads }, (_, i) => upload(url, token, i)));
    const took = (performance.now() - started) / 1000;
    const peak = await server.ask({ type: "peak" }, "peak");
    const after = await baseline();

    const total = mb(uploads * size);
    const base = (before + after) / 2;
    const growth = mb(peak.rssBytes - rssBefore);
    console.log(
      `baseline (fs.createWriteStream x${uploads}): ${(total / before).toFixed(0)} MB/s before, ` +
        `${(total / after).toFixed(0)} MB/s after; mean ${(total / base).toFixed(0)} MB/s`,
    );
    console.log(
      `uploads (HTTP multipart to the app, x${uploads}): ${(total / took).toFixed(0)} MB/s in ${took.toFixed(2)} s; ` +
        `per upload ${(Math.min(...durations) / 1000).toFixed(2)}-${(Math.max(...durations) / 1000).toFixed(2)} s; ` +
        `server CPU ${(peak.cpuMs / 1000).toFixed(2)} s`,
    );
    console.log(`  app/baseline throughput: ${((100 * base) / took).toFixed(0)}%`);
    console.log(
      `server RSS: ${mb(rssBefore).toFixed(0)} MB before, peak ${mb(peak.rssBytes).toFixed(0)} MB: ` +
        `growth ${growth.toFixed(1)} MB (target < ${RSS_BUDGET_MB} MB: ${growth < RSS_BUDGET_MB ? "met" : "MISSED"})`,
    );
  } finally {
    const exited = new Promise((resolve) => server.child.once("exit", resolve));
    server.child.send({ type: "stop" } satisfies UploadParentMessage);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    server.child.kill();
    if (pgServer && dbUrl) {
      const admin = new pg.Client({ connectionString: pgServer.toString() });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${new URL(dbUrl).pathname.slice(1)}" WITH (FORCE)`);
      await admin.end();
    }
  }
  console.log(`after: ${loadLine()}`);
}

await main();
