/**
 * One server under test, in a process of its own so its CPU and memory are measurable. Started by
 * realtime-bench.ts with `fork`; answers its parent's IPC messages with its figures.
 *
 *   causette  the real app (auth, validation, storage, broadcast after commit)
 *   relay     a bare socket.io relay: no auth, no storage
 *   naive     the tutorial implementation: the relay plus one INSERT per message, then emit
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { Server } from "socket.io";

import { openDatabase } from "@causette/db";
import { createApp, LOAD_TEST_RATE_LIMITS } from "@causette/server/app";
import { createLogger } from "@causette/server/logger";

const { values } = parseArgs({
  options: {
    kind: { type: "string" },
    db: { type: "string" },
    secret: { type: "string" },
    pool: { type: "string", default: "10" },
  },
});

type Kind = "causette" | "causette-unordered" | "relay" | "naive";
const kind = values.kind as Kind;
const poolSize = Number(values.pool);

export type ParentMessage = { type: "mark" } | { type: "stats" } | { type: "gc" } | { type: "stop" };
export type ChildMessage =
  | { type: "ready"; port: number }
  | { type: "marked" }
  | {
      type: "stats";
      cpuMs: number;
      wallMs: number;
      rssMb: number;
      heapMb: number;
      eldP99Ms: number;
      eldMaxMs: number;
      sockets: number;
    }
  | { type: "gc"; rssBytes: number };

const send = (message: ChildMessage) => process.send?.(message);

/** The tutorial's relay, with or without its one INSERT per message. */
function startRelay(withInsert: boolean) {
  const http = createServer();
  const io = new Server(http, { cors: { origin: "*" } });
  const pool = withInsert ? new pg.Pool({ connectionString: values.db, max: poolSize }) : null;
  io.on("connection", (socket) => {
    socket.on("join_room", (roomId: number, ack?: (r: unknown) => void) => {
      void socket.join(`room:${roomId}`);
      ack?.({ ok: true, data: null });
    });
    socket.on(
      "send_message",
      async (data: { roomId: number; message: string; sender?: number }, ack?: (r: unknown) => void) => {
        try {
          let stored: Record<string, unknown> = { roomId: data.roomId, sender: data.sender, message: data.message };
          if (pool) {
            const { rows } = await pool.query<{ id: number; created_at: Date }>(
              "INSERT INTO naive_messages (room_id, sender_id, body) VALUES ($1, $2, $3) RETURNING id, created_at",
              [data.roomId, data.sender ?? 0, data.message],
            );
            stored = { ...stored, id: rows[0]!.id, createdAt: rows[0]!.created_at };
          }
          socket.to(`room:${data.roomId}`).emit("receive_message", stored);
          ack?.({ ok: true, data: stored });
        } catch (error) {
          ack?.({ ok: false, error: { code: "INTERNAL_SERVER_ERROR", message: String(error) } });
        }
      },
    );
  });
  return {
    http,
    io,
    async stop() {
      await io.close();
      await pool?.end();
    },
  };
}

async function startCausette(orderRoomEvents: boolean) {
  const db = await openDatabase({ url: values.db, maxPoolSize: poolSize, migrate: false });
  const app = await createApp({
    config: {
      production: false,
      jwtSecret: values.secret!,
      cookieSecret: values.secret!,
      jwtExpiresIn: "1h",
      corsOrigins: "localhost",
      redisUrl: undefined,
      // The load is the point: per-user send and sign-up limits would measure the limiter.
      rateLimits: LOAD_TEST_RATE_LIMITS,
      orderRoomEvents,
    },
    db,
    logger: createLogger("warn"),
  });
  return {
    http: app.server,
    io: app.realtime.io,
    async stop() {
      await app.close();
      await db.close();
    },
  };
}

const server = kind.startsWith("causette") ? await startCausette(kind === "causette") : startRelay(kind === "naive");
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
let mark = { cpu: process.cpuUsage(), at: performance.now() };

process.on("message", (message: ParentMessage) => {
  if (message.type === "mark") {
    eld.reset();
    mark = { cpu: process.cpuUsage(), at: performance.now() };
    send({ type: "marked" });
  } else if (message.type === "stats") {
    const cpu = process.cpuUsage(mark.cpu);
    const memory = process.memoryUsage();
    send({
      type: "stats",
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - mark.at,
      rssMb: memory.rss / 2 ** 20,
      heapMb: memory.heapUsed / 2 ** 20,
      eldP99Ms: eld.percentile(99) / 1e6,
      eldMaxMs: eld.max / 1e6,
      sockets: server.io.engine.clientsCount,
    });
  } else if (message.type === "gc") {
    (globalThis as { gc?: () => void }).gc?.();
    send({ type: "gc", rssBytes: process.memoryUsage().rss });
  } else if (message.type === "stop") {
    void server.stop().then(() => process.exit(0));
  }
});

server.http.listen(0, "127.0.0.1", () => {
  send({ type: "ready", port: (server.http.address() as AddressInfo).port });
});
