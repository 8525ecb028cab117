import { randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import { io as ioClient } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { restRoutes, type RestRoute } from "@causette/contracts";

import {
  connectSocket,
  env,
  http,
  signUp,
  startServer,
  trpcClient,
  TRPCClientError,
  useTwoNodes,
  type ClientSocket,
  type TestServer,
} from "./harness.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** A token signed with the server's own secret, claims as given (expiry 1 h unless `exp` is set). */
function forge(claims: { sub: string; gen?: number; exp?: number; jti?: string }) {
  const { exp, ...rest } = claims;
  return jwt.sign({ gen: 0, jti: randomUUID(), ...rest, ...(exp ? { exp } : {}) }, server.config.jwtSecret, {
    algorithm: "HS256",
    ...(exp ? {} : { expiresIn: "1h" }),
  });
}

/** Resolves with the socket's connect_error message (a refused handshake, or a session ended later). */
function connectError(socket: ClientSocket): Promise<{ message: string; data?: { reason?: string }; at: number }> {
  return new Promise((resolve) => {
    socket.once("connect_error", (error: Error & { data?: { reason?: string } }) =>
      resolve({ message: error.message, ...(error.data ? { data: error.data } : {}), at: Date.now() }),
    );
  });
}

function rawSocket(url: string, token: string): ClientSocket {
  return ioClient(url, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true });
}

const authedRoutes = (Object.entries(restRoutes) as Array<[string, RestRoute]>).filter(([, r]) => r.auth);

async function expectRefusedEverywhere(token: string) {
  for (const [name, route] of authedRoutes) {
    const path = route.path.replace(/:\w+/g, "1");
    const res = await http(server.url, token).call(
      route.method.toUpperCase(),
      path,
      route.method === "get" ? undefined : {},
    );
    expect(res.status, `${name} ${route.method} ${path}`).toBe(401);
    expect(res.body.error.code).toBe("UNAUTHORIZED");
  }
  const trpc = await trpcClient(server.url, token)
    .user.me.query()
    .catch((error: unknown) => error);
  expect(trpc).toBeInstanceOf(TRPCClientError);
  expect((trpc as TRPCClientError<never>).data).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401 });
  const socket = rawSocket(server.url, token);
  expect((await connectError(socket)).message).toBe("UNAUTHORIZED");
  socket.disconnect();
}

describe("a token is only as good as its user", () => {
  it("a signed token for a user that does not exist answers 401 on every route, tRPC and socket", async () => {
    await expectRefusedEverywhere(forge({ sub: String(2 ** 40) }));
  });

  it("a user id beyond 64 bits, or not a safe integer, answers 401, never 500", async () => {
    await expectRefusedEverywhere(forge({ sub: "9".repeat(30) }));
    await expectRefusedEverywhere(forge({ sub: String(2 ** 53 + 2) }));
  });

  it("an expired token answers 401 everywhere", async () => {
    const ana = await signUp(server.url, "ana");
    await expectRefusedEverywhere(forge({ sub: String(ana.user.id), exp: Math.floor(Date.now() / 1000) - 5 }));
  });
});

describe("log-out revokes", () => {
  it("POST /api/user/deconnexion revokes that token only: REST, tRPC and its sockets (within 1 s)", async () => {
    const ana = await signUp(server.url, "ana");
    const second = await http(server.url).post("/api/user/connexion", {
      email: ana.user.email,
      password: ana.password,
    });
    const other = second.body.token as string;
    const mine = await connectSocket(server.url, ana.token);
    const theirs = await connectSocket(server.url, other);
    const ended = connectError(mine);
    const before = Date.now();
    expect((await ana.api.post("/api/user/deconnexion")).status).toBe(200);
    const end = await ended;
    expect(end).toMatchObject({ message: "UNAUTHORIZED", data: { reason: "revoked" } });
    expect(end.at - before).toBeLessThan(1000);

    expect((await ana.api.get("/api/user/me")).status).toBe(401);
    await expect(trpcClient(server.url, ana.token).user.me.query()).rejects.toThrow();
    const again = rawSocket(server.url, ana.token);
    expect((await connectError(again)).message).toBe("UNAUTHORIZED");
    again.disconnect();
    // The other session is untouched.
    expect((await http(server.url, other).get("/api/user/me")).status).toBe(200);
    expect(theirs.connected).toBe(true);
  });

  it("?all=true revokes every token of the user and ends every socket; a new log-in works", async () => {
    const ana = await signUp(server.url, "ana");
    const second = (
      await http(server.url).post("/api/user/connexion", { email: ana.user.email, password: ana.password })
    ).body.token as string;
    const sockets = [await connectSocket(server.url, ana.token), await connectSocket(server.url, second)];
    const ended = sockets.map(connectError);
    expect((await ana.api.post("/api/user/deconnexion?all=true")).status).toBe(200);
    for (const end of await Promise.all(ended)) expect(end.message).toBe("UNAUTHORIZED");
    expect((await ana.api.get("/api/user/me")).status).toBe(401);
    expect((await http(server.url, second).get("/api/user/me")).status).toBe(401);
    const fresh = await http(server.url).post("/api/user/connexion", { email: ana.user.email, password: ana.password });
    expect((await http(server.url, fresh.body.token).get("/api/user/me")).status).toBe(200);
  });

  it("tRPC user.logout revokes too, and a log-out without a token only clears the cookie", async () => {
    const ana = await signUp(server.url, "ana");
    await trpcClient(server.url, ana.token).user.logout.mutate({});
    expect((await ana.api.get("/api/user/me")).status).toBe(401);
    expect((await http(server.url).post("/api/user/deconnexion")).status).toBe(200);
  });

  it("a socket is ended within 1 s of its token's expiry", async () => {
    const ana = await signUp(server.url, "ana");
    const exp = Math.floor(Date.now() / 1000) + 2;
    const socket = await connectSocket(server.url, forge({ sub: String(ana.user.id), exp }));
    const end = await connectError(socket);
    expect(end).toMatchObject({ message: "UNAUTHORIZED", data: { reason: "expired" } });
    expect(end.at).toBeGreaterThanOrEqual(exp * 1000 - 50);
    expect(end.at - exp * 1000).toBeLessThan(1000);
  });
});

describe.skipIf(!env.redisUrl)("across nodes", () => {
  const nodes = useTwoNodes();

  it("a log-out on node 1 ends the token's sockets on node 2 within 1 s", async () => {
    const { node1, node2 } = nodes;
    const ana = await signUp(node1.url, "ana");
    const onNode2 = await connectSocket(node2.url, ana.token);
    const ended = connectError(onNode2);
    const before = Date.now();
    expect((await ana.api.post("/api/user/deconnexion")).status).toBe(200);
    const end = await ended;
    expect(end.message).toBe("UNAUTHORIZED");
    expect(end.at - before).toBeLessThan(1000);
    expect((await http(node2.url, ana.token).get("/api/user/me")).status).toBe(401);
  });
});
