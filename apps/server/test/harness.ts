import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { io as ioClient, type Socket } from "socket.io-client";
import { afterAll, beforeAll } from "vitest";

import type { ClientToServerEvents, Message, ServerToClientEvents, User } from "@causette/contracts";
import { insertMessages, type NewMessage } from "@causette/db";

import { createApp, LOAD_TEST_RATE_LIMITS, type App, type AppConfig, type AppDeps } from "../src/app.ts";
import { loadEnv } from "../src/env.ts";
import type { FileStore } from "../src/files/file-store.ts";
import { createLogger, type Logger } from "../src/logger.ts";
import type { AppRouter } from "../src/trpc/routers/_app.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";

export const env = loadEnv();

/**
 * Both database modes, for the tests that must hold on each: the embedded one always (it runs
 * even when DB_URL is set), and the PostgreSQL at DB_URL when there is one. Pass the URL to
 * `createTestDatabase`.
 */
export const DATABASE_MODES = [
  ["embedded PostgreSQL (PGlite)", undefined],
  ...(env.dbUrl ? [["PostgreSQL at DB_URL", env.dbUrl] as const] : []),
] as const;

export { createTestDatabase, type TestDatabase };

export interface TestServer {
  url: string;
  app: App;
  db: TestDatabase;
  config: AppConfig;
  close(): Promise<void>;
}

export const testConfig = (overrides: Partial<AppConfig> = {}): AppConfig => ({
  production: false,
  jwtSecret: "test-jwt-secret-that-is-long-enough-000000",
  cookieSecret: "test-cookie-secret-that-is-long-enough-0000",
  jwtExpiresIn: "1h",
  corsOrigins: "localhost",
  redisUrl: undefined,
  // Every test user signs up from 127.0.0.1 and tests seed history by sending fast; the tests of
  // those limits set their own.
  rateLimits: LOAD_TEST_RATE_LIMITS,
  ...overrides,
});

/** Starts the real app on a free port, over its own fresh database. */
export async function startServer(
  options: { config?: Partial<AppConfig>; db?: TestDatabase; store?: FileStore; logger?: Logger } & Pick<
    AppDeps,
    "hasher"
  > = {},
): Promise<TestServer> {
  const db = options.db ?? (await createTestDatabase(env.dbUrl));
  const config = testConfig(options.config);
  const app = await createApp({
    config,
    db,
    logger: options.logger ?? createLogger(env.logLevel === "info" ? "silent" : env.logLevel),
    ...(options.store ? { store: options.store } : {}),
    ...(options.hasher ? { hasher: options.hasher } : {}),
  });
  await new Promise<void>((resolve) => app.server.listen(0, "127.0.0.1", resolve));
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    db,
    config,
    async close() {
      await app.close();
      if (!options.db) await db.destroy();
    },
  };
}

/**
 * A message committed without its live event: what a node that dies between its commit and its
 * broadcast leaves behind.
 */
export async function storeWithoutEvent(server: TestServer, input: NewMessage): Promise<Message> {
  const [stored] = await insertMessages(server.db.pool, [input]);
  if (!stored) throw new Error("nothing stored: is the sender in the room?");
  return stored.message;
}

export interface TwoNodes {
  node1: TestServer;
  node2: TestServer;
  close(): Promise<void>;
}

/** Two server nodes over one fresh database, sharing socket.io events through Redis on channels of their own. */
export async function startTwoNodes(redisUrl: string): Promise<TwoNodes> {
  const db = await createTestDatabase(env.dbUrl);
  // Channels of their own, so other test files (or other runs) on the same Redis never mix in.
  const redisKey = `causette-test-${randomBytes(6).toString("hex")}`;
  const node1 = await startServer({ db, config: { redisUrl, redisKey } });
  const node2 = await startServer({ db, config: { redisUrl, redisKey } });
  return {
    node1,
    node2,
    async close() {
      await node1.close();
      await node2.close();
      await db.destroy();
    },
  };
}

/**
 * What `make` answers, made in the suite's beforeAll (and given to `close` in its afterAll): read its
 * properties inside a test or a hook; read earlier, it throws naming `what`.
 */
export function useFixture<T extends object>(
  what: string,
  make: () => Promise<T>,
  close?: (value: T) => Promise<void> | void,
): T {
  let value: T | undefined;
  beforeAll(async () => {
    value = await make();
  });
  if (close) afterAll(() => (value ? close(value) : undefined));
  return new Proxy({} as T, {
    get(_target, key) {
      if (!value) throw new Error(`${what} is made in beforeAll: read it inside a test or a hook`);
      return Reflect.get(value, key) as unknown;
    },
  });
}

/**
 * Two nodes (as startTwoNodes makes them) for the suite that calls this: started before its tests
 * on the Redis at REDIS_URL, closed after them.
 */
export function useTwoNodes(): { readonly node1: TestServer; readonly node2: TestServer } {
  return useFixture(
    "useTwoNodes",
    () => {
      if (!env.redisUrl) throw new Error("useTwoNodes: two nodes need REDIS_URL (skip the suite without it)");
      return startTwoNodes(env.redisUrl);
    },
    (nodes) => nodes.close(),
  );
}

export interface HttpResult<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small fetch wrapper that speaks JSON and keeps the token. */
export function http(baseUrl: string, token?: string) {
  async function call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResult<T>> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
  }
  return {
    get: <T = any>(path: string, headers?: Record<string, string>) => call<T>("GET", path, undefined, headers),
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>("POST", path, body ?? {}, headers),
    put: <T = any>(path: string, body?: unknown) => call<T>("PUT", path, body ?? {}),
    patch: <T = any>(path: string, body?: unknown) => call<T>("PATCH", path, body ?? {}),
    delete: <T = any>(path: string) => call<T>("DELETE", path),
    call,
  };
}

let counter = 0;

export interface TestUser {
  user: User;
  token: string;
  password: string;
  api: ReturnType<typeof http>;
}

/** Signs up and logs in a new user with a unique name. */
export async function signUp(baseUrl: string, name = "user"): Promise<TestUser> {
  counter += 1;
  const suffix = `${process.pid.toString(36)}${counter}${Math.random().toString(36).slice(2, 6)}`;
  const password = "correct horse battery";
  const anonymous = http(baseUrl);
  const email = `${name}.${suffix}@example.com`;
  const created = await anonymous.post("/api/user", { username: `${name}_${suffix}`, email, password });
  if (created.status !== 201) throw new Error(`sign-up failed: ${created.status} ${JSON.stringify(created.body)}`);
  const login = await anonymous.post("/api/user/connexion", { email, password });
  if (login.status !== 200) throw new Error(`log-in failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { user: login.body.user, token: login.body.token, password, api: http(baseUrl, login.body.token) };
}

export function trpcClient(baseUrl: string, token?: string) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${baseUrl}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
  });
}

export { TRPCClientError };

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A connected socket.io client (real, over websocket), disconnected after the file. */
export async function connectSocket(
  baseUrl: string,
  token: string | undefined,
  options: Record<string, unknown> = {},
): Promise<ClientSocket> {
  const socket: ClientSocket = ioClient(baseUrl, {
    auth: token ? { token } : {},
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    ...options,
  });
  afterAll(() => {
    socket.disconnect();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return socket;
}

/** The next `event` on the socket, or a rejection after `ms`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
  ms = 3000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${String(event)} within ${ms} ms`)), ms);
    socket.once(
      event as never,
      ((payload: never) => {
        clearTimeout(timer);
        resolve(payload);
      }) as never,
    );
  });
}
