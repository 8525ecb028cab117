/** The server under test in a child process (see realtime-servers.ts), its database, and socket.io clients for it. */
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import jwt from "jsonwebtoken";
import pg from "pg";
import { io as ioClient, type Socket } from "socket.io-client";

import { migrate } from "@causette/db";

import type { ChildMessage, ParentMessage } from "./realtime-servers.ts";

/** `causette-unordered`: Causette with its room ordering off, to measure what the ordering costs. */
export type Kind = "causette" | "causette-unordered" | "relay" | "naive";

export interface Child {
  url: string;
  ask<T extends ChildMessage["type"]>(message: ParentMessage, answer: T): Promise<Extract<ChildMessage, { type: T }>>;
  stop(): Promise<void>;
}

/** A token as the server signs them: the user, a token id (log-out revokes by it), the user's token generation (0 when seeded). */
export const benchToken = (secret: string, userId: number) =>
  jwt.sign({ gen: 0 }, secret, { algorithm: "HS256", subject: String(userId), jwtid: randomUUID(), expiresIn: "1h" });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startChild(kind: Kind, options: { dbUrl: string; secret: string; pool: number }): Promise<Child> {
  const file = fileURLToPath(new URL("./realtime-servers.ts", import.meta.url));
  const child: ChildProcess = fork(
    file,
    ["--kind", kind, "--db", options.dbUrl, "--secret", options.secret, "--pool", String(options.pool)],
    {
      execArgv: [...process.execArgv, "--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const next = <T extends ChildMessage["type"]>(type: T) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (message: ChildMessage) => {
        if (message.type !== type) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message as Extract<ChildMessage, { type: T }>);
      };
      const onExit = (code: number | null) => reject(new Error(`${kind} server exited (${code})`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const ready = await next("ready");
  return {
    url: `http://127.0.0.1:${ready.port}`,
    ask(message, answer) {
      const reply = next(answer);
      child.send(message);
      return reply;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ type: "stop" } satisfies ParentMessage);
      await Promise.race([exited, sleep(5000)]);
      child.kill();
    },
  };
}

/** A connected socket.io client over websocket, with `token` in the handshake when given. */
export function connectClient(url: string, token: string | null): Promise<Socket> {
  const socket = ioClient(url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    auth: token ? { token } : {},
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => {
      socket.disconnect();
      reject(error);
    });
  });
}

export async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += size) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - start) }, (_, j) => make(start + j)))));
  }
  return out;
}

/**
 * A fresh database `dbUrl` (dropped and created again on the server at `serverUrl`), migrated, with
 * users 1..`users` written directly (no argon2); answers a connected client on it, to seed the rest.
 */
export async function freshDatabase(serverUrl: URL, dbUrl: URL, users: number): Promise<pg.Client> {
  const name = dbUrl.pathname.slice(1);
  const admin = new pg.Client({ connectionString: serverUrl.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  await migrate(dbUrl.toString());
  const client = new pg.Client({ connectionString: dbUrl.toString() });
  await client.connect();
  await client.query(
    `INSERT INTO users (username, email, password_hash)
     SELECT 'bench' || g, 'bench' || g || '@example.com', 'not-a-hash' FROM generate_series(1, $1) g`,
    [users],
  );
  return client;
}
