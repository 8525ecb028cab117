import { z } from "zod";

import type { Message, Room } from "@causette/contracts";
import { sql, type DatabasePool } from "@causette/db";

import { createTestDatabase, type TestDatabase } from "./database.ts";
import { env, signUp, type TestServer, type TestUser } from "./harness.ts";

/** Two users and their room. */
export interface Pair {
  a: TestUser;
  b: TestUser;
  room: Room;
}

export async function createPair(server: TestServer, names: [string, string] = ["ana", "bob"]): Promise<Pair> {
  const [a, b] = await Promise.all([signUp(server.url, names[0]), signUp(server.url, names[1])]);
  const res = await a.api.post("/api/room/", { participant: b.user.id });
  if (res.status !== 201) throw new Error(`room create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { a, b, room: res.body };
}

/** The fields of a message that is no thread reply, quotes nothing, and has no reaction, mention or attachment. */
export const PLAIN_MESSAGE = {
  parentId: null,
  quotedId: null,
  quoted: null,
  replyCount: 0,
  lastReplyAt: null,
  reactions: [],
  mentions: [],
  attachments: [],
} as const;

/** A group created by `owner` with `members`, named "Crew" unless `extra` says otherwise. */
export async function createGroup(
  owner: TestUser,
  members: TestUser[],
  extra: Record<string, unknown> = {},
): Promise<Room> {
  const res = await owner.api.post<Room>("/api/room/", {
    name: "Crew",
    participants: members.map((m) => m.user.id),
    ...extra,
  });
  if (res.status !== 201) throw new Error(`group create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Four new users: a group's owner and three others. */
export async function groupCast(server: TestServer) {
  const [owner, ana, bob, cid] = await Promise.all(
    ["owner", "ana", "bob", "cid"].map((name) => signUp(server.url, name)),
  );
  return { owner: owner!, ana: ana!, bob: bob!, cid: cid! };
}

/** Sends a message and fails loudly when the send did not answer 201. */
export async function send(user: TestUser, roomId: number, message: string, clientId?: string): Promise<Message> {
  const res = await user.api.post<Message>("/api/chat/", { roomId, message, ...(clientId ? { clientId } : {}) });
  if (res.status !== 201) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export interface QueryLog {
  /** The SQL of every statement sent through the pool since the last reset. */
  readonly statements: string[];
  /** The slonik query tokens themselves, for re-running a statement under EXPLAIN. */
  readonly tokens: Array<{ sql: string; values: readonly unknown[] }>;
  reset(): void;
}

const QUERY_METHODS = new Set([
  "any",
  "anyFirst",
  "exists",
  "many",
  "manyFirst",
  "maybeOne",
  "maybeOneFirst",
  "one",
  "oneFirst",
  "query",
  "stream",
]);

/**
 * The pool, wrapped so that every statement the app sends through it (directly, or through a
 * connection or transaction it opens) is recorded. Test-only: the app takes it as its pool.
 */
function recordingPool(pool: DatabasePool): { pool: DatabasePool; log: QueryLog } {
  const log: QueryLog = {
    statements: [],
    tokens: [],
    reset() {
      log.statements.length = 0;
      log.tokens.length = 0;
    },
  };
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(obj, key, receiver) {
        const value = Reflect.get(obj, key, receiver) as unknown;
        if (typeof value !== "function") return value;
        const name = String(key);
        if (QUERY_METHODS.has(name)) {
          return (token: { sql: string; values: readonly unknown[] }, ...rest: unknown[]) => {
            log.statements.push(token.sql);
            log.tokens.push(token);
            return (value as (...args: unknown[]) => unknown).call(obj, token, ...rest);
          };
        }
        if (name === "transaction" || name === "connect") {
          return (handler: (connection: object) => unknown, ...rest: unknown[]) =>
            (value as (...args: unknown[]) => unknown).call(
              obj,
              (connection: object) => handler(wrap(connection)),
              ...rest,
            );
        }
        return (value as (...args: unknown[]) => unknown).bind(obj);
      },
    });
  return { pool: wrap(pool), log };
}

/** A fresh test database whose pool records every statement. */
export async function recordingDatabase(): Promise<{ db: TestDatabase; log: QueryLog }> {
  const db = await createTestDatabase(env.dbUrl);
  const { pool, log } = recordingPool(db.pool);
  return { db: { ...db, pool }, log };
}

/** Users inserted straight into the table (sign-up hashes a password, which is slow in bulk). */
export async function insertUsers(pool: DatabasePool, prefix: string, count: number): Promise<number[]> {
  const ids = await pool.anyFirst(sql.unsafe`
    INSERT INTO users (username, email, password_hash)
    SELECT ${prefix} || '_' || g, ${prefix} || '.' || g || '@example.com', 'not-a-hash'
    FROM generate_series(1, ${count}::int) AS g
    RETURNING id`);
  return ids as number[];
}

/** The plan PostgreSQL chooses for a recorded statement, with its own bound values. */
export async function explain(pool: DatabasePool, token: { sql: string; values: readonly unknown[] }): Promise<string> {
  const plan = await pool.anyFirst({ ...token, sql: `EXPLAIN ${token.sql}`, parser: z.unknown() } as never);
  return (plan as string[]).join("\n");
}
