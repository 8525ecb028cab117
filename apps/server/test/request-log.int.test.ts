import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";

import { createLogger } from "../src/logger.ts";
import { connectSocket, http, signUp, startServer, type TestServer } from "./harness.ts";

const lines: string[] = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString().split("\n").filter(Boolean));
    done();
  },
});

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ logger: createLogger("info", { destination }) });
});
afterAll(async () => {
  await server?.close();
});

const requestLines = () =>
  lines.map((line) => JSON.parse(line) as Record<string, any>).filter((entry) => entry.req !== undefined);

it("logs one JSON line per request with its id, route, status and duration; the id is sent back", async () => {
  const res = await fetch(`${server.url}/api/chat/12345?limit=3`, { headers: { authorization: "Bearer nope" } });
  expect(res.status).toBe(401);
  const id = res.headers.get("x-request-id");
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const entry = requestLines().find((e) => e.req.id === id);
  expect(entry).toMatchObject({
    level: 30,
    req: { id, method: "GET", path: "/api/chat/12345" },
    route: "/api/chat/:id",
    res: { statusCode: 401 },
    msg: expect.stringMatching(/^GET \/api\/chat\/12345 401 \d+ ms$/),
  });
  expect(entry!.responseTime).toBeGreaterThanOrEqual(0);
});

it("keeps a well-formed incoming x-request-id of at most 64 characters, and replaces any other", async () => {
  const api = http(server.url);
  const kept = "proxy-4bf92f3577b34da6a3ce929d0e0e4736";
  expect((await api.get("/api/health/live", { "x-request-id": kept })).headers.get("x-request-id")).toBe(kept);
  for (const bad of ["x".repeat(65), "two words", "<script>"]) {
    const echoed = (await api.get("/api/health/live", { "x-request-id": bad })).headers.get("x-request-id");
    expect(echoed).not.toBe(bad);
    expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
  }
  expect(requestLines().some((e) => e.req.id === kept && e.route === "/api/health/live")).toBe(true);
});

it("no log line holds a password, a token or a cookie, after sign-up, log-in and authenticated calls", async () => {
  const user = await signUp(server.url, "secretive");
  const login = await fetch(`${server.url}/api/user/connexion`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: user.user.email, password: user.password }),
  });
  expect(login.status).toBe(200);
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  const { token } = (await login.json()) as { token: string };
  expect((await user.api.get("/api/user/me")).status).toBe(200);
  expect((await fetch(`${server.url}/api/user/me`, { headers: { cookie } })).status).toBe(200);
  expect((await fetch(`${server.url}/trpc/user.me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
    200,
  );
  const socket = await connectSocket(server.url, token);
  socket.disconnect();

  const log = lines.join("\n");
  expect(requestLines().filter((e) => e.route === "/api/user/connexion")).toHaveLength(2);
  for (const secret of [user.password, user.token, token, cookie.split("=")[1]!, user.token.split(".")[2]!]) {
    expect(log).not.toContain(secret);
  }
});
