/**
 * The real app in a process of its own, for upload-bench.ts (started with `fork`), so that its
 * resident memory is measured apart from the load generator's. Files go to the app's default store
 * (the disk, under the system's temporary directory). Answers its parent's IPC messages.
 */
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

import { openDatabase } from "@causette/db";
import { createApp, LOAD_TEST_RATE_LIMITS } from "@causette/server/app";
import { createLogger } from "@causette/server/logger";

const { values } = parseArgs({
  options: {
    db: { type: "string" },
    "max-bytes": { type: "string" },
  },
});

export type UploadParentMessage = { type: "mark" } | { type: "peak" } | { type: "stop" };
export type UploadChildMessage =
  | { type: "ready"; port: number }
  | { type: "marked"; rssBytes: number }
  | { type: "peak"; rssBytes: number; cpuMs: number };

const send = (message: UploadChildMessage) => process.send?.(message);

// Without --db, the embedded PostgreSQL (PGlite), in this process.
const db = await openDatabase(values.db ? { url: values.db, migrate: false } : {});
const secret = "upload-bench-secret-that-is-long-enough-0000";
const app = await createApp({
  config: {
    production: false,
    jwtSecret: secret,
    cookieSecret: secret,
    jwtExpiresIn: "1h",
    corsOrigins: "localhost",
    redisUrl: undefined,
    rateLimits: LOAD_TEST_RATE_LIMITS,
    maxUploadBytes: Number(values["max-bytes"]),
  },
  db,
  logger: createLogger("warn"),
});

/** The highest resident set size seen since the last mark, sampled every 10 ms. */
let peak = 0;
let cpu = process.cpuUsage();
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 10);

process.on("message", (message: UploadParentMessage) => {
  if (message.type === "mark") {
    (globalThis as { gc?: () => void }).gc?.();
    const rssBytes = process.memoryUsage.rss();
    peak = rssBytes;
    cpu = process.cpuUsage();
    send({ type: "marked", rssBytes });
  } else if (message.type === "peak") {
    const used = process.cpuUsage(cpu);
    send({
      type: "peak",
      rssBytes: Math.max(peak, process.memoryUsage.rss()),
      cpuMs: (used.user + used.system) / 1000,
    });
  } else if (message.type === "stop") {
    clearInterval(sampler);
    void app
      .close()
      .then(() => db.close())
      .then(() => process.exit(0));
  }
});

app.server.listen(0, "127.0.0.1", () => {
  send({ type: "ready", port: (app.server.address() as AddressInfo).port });
});
