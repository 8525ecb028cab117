import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  createTestDatabase,
  DATABASE_MODES,
  http,
  signUp,
  startServer,
  trpcClient,
  type TestDatabase,
  type TestServer,
  type TestUser,
} from "./harness.ts";

// The embedded database is one session behind a pool: state one failed statement leaves there
// (a named prepared statement) would poison every later call. Both modes must behave alike.
describe.each(DATABASE_MODES)("every error path, then a normal call, on %s", (_label, url) => {
  let db: TestDatabase;
  let server: TestServer;
  let ana: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    db = await createTestDatabase(url);
    server = await startServer({ db });
    ana = await signUp(server.url, "ana");
    bob = await signUp(server.url, "bob");
    expect((await ana.api.post("/api/room/", { participant: bob.user.id })).status).toBe(201);
  });
  afterAll(async () => {
    await server.close();
    await db.destroy();
  });

  async function stillServes() {
    const rooms = await ana.api.get("/api/room/");
    expect(rooms.status).toBe(200);
    expect(rooms.body).toHaveLength(1);
    const room = await trpcClient(server.url, bob.token).room.list.query();
    expect(room).toHaveLength(1);
    const sent = await ana.api.post("/api/chat/", { roomId: rooms.body[0].id, message: "still here" });
    expect(sent.status).toBe(201);
  }

  it.each([
    [
      "a taken email (409)",
      () =>
        http(server.url).post("/api/user", {
          username: "ana_again",
          email: ana.user.email,
          password: "correct horse battery",
        }),
      409,
    ],
    [
      "a taken username (409)",
      () =>
        http(server.url).post("/api/user", {
          username: ana.user.username,
          email: "other@example.com",
          password: "correct horse battery",
        }),
      409,
    ],
    ["a room with nobody (404)", () => ana.api.post("/api/room/", { participant: 2 ** 40 }), 404],
    ["a room of someone else (404)", () => bob.api.get("/api/chat/999999"), 404],
    ["an id beyond 64 bits (400)", () => ana.api.get(`/api/chat/${"9".repeat(30)}`), 400],
    ["malformed JSON (400)", () => ana.api.post("/api/chat/", '{"roomId":'), 400],
    ["a query key named constructor (400)", () => ana.api.get("/api/room/?constructor=1"), 400],
    [
      "a form body (415)",
      () =>
        ana.api.call("POST", "/api/chat/", "roomId=1&message=x", {
          "content-type": "application/x-www-form-urlencoded",
        }),
      415,
    ],
    ["a token of nobody (401)", () => http(server.url, `${ana.token}x`).get("/api/room/"), 401],
    [
      "a wrong password (401)",
      () => http(server.url).post("/api/user/connexion", { email: ana.user.email, password: "wrong guess" }),
      401,
    ],
    ["a body marked gzip that is not (400)", () => ana.api.post("/api/chat/", {}, { "content-encoding": "gzip" }), 400],
  ])("%s", async (_what, call, status) => {
    await stillServes();
    expect((await call()).status).toBe(status);
    await stillServes();
  });
});
