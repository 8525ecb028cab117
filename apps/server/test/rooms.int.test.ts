import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Room } from "@causette/contracts";

import { insertUsers, recordingDatabase, send, type QueryLog } from "./chat.ts";
import type { TestDatabase } from "./database.ts";
import { http, signUp, startServer, trpcClient, type TestServer, type TestUser } from "./harness.ts";

let server: TestServer;
let db: TestDatabase;
let log: QueryLog;
let ana: TestUser;

beforeAll(async () => {
  ({ db, log } = await recordingDatabase());
  server = await startServer({ db });
  ana = await signUp(server.url, "ana");
});
afterAll(async () => {
  await server.close();
  await db.destroy();
});

describe("POST /api/room/", () => {
  it("creates the pair's room (201) with both participants, then answers it again (200), whoever asks", async () => {
    const bob = await signUp(server.url, "bob");
    const first = await ana.api.post<Room>("/api/room/", { participant: bob.user.id });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      id: expect.any(Number),
      lastMessage: null,
      unread: 0,
      createdAt: expect.any(String),
    });
    expect(first.body.participants.map((p) => p.id).sort((x, y) => x - y)).toEqual(
      [ana.user.id, bob.user.id].sort((x, y) => x - y),
    );
    expect(first.body.participants).toContainEqual(bob.user);
    expect(JSON.stringify(first.body)).not.toMatch(/password/i);

    const again = await ana.api.post<Room>("/api/room/", { participant: bob.user.id });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const fromBob = await bob.api.post<Room>("/api/room/", { participant: ana.user.id });
    expect(fromBob.status).toBe(200);
    expect(fromBob.body.id).toBe(first.body.id);
  });

  it("five concurrent creates of one pair, from both sides, give one room: one 201, four 200", async () => {
    const carl = await signUp(server.url, "carl");
    const results = await Promise.all([
      ana.api.post<Room>("/api/room/", { participant: carl.user.id }),
      carl.api.post<Room>("/api/room/", { participant: ana.user.id }),
      ana.api.post<Room>("/api/room/", { participant: carl.user.id }),
      carl.api.post<Room>("/api/room/", { participant: ana.user.id }),
      ana.api.post<Room>("/api/room/", { participant: carl.user.id }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const rooms = (await carl.api.get<Room[]>("/api/room/")).body;
    expect(rooms.map((r) => r.id)).toEqual([results[0].body.id]);
  });

  it("refuses a room with oneself (400 naming participant)", async () => {
    const res = await ana.api.post("/api/room/", { participant: ana.user.id });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("BAD_REQUEST");
    expect(res.body.error.issues[0].path).toBe("participant");
  });

  it("answers 404 for an unknown user, 400 for a malformed participant, 401 without a token", async () => {
    const unknown = await ana.api.post("/api/room/", { participant: 987654 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("NOT_FOUND");
    for (const participant of ["12", -1, 0, 1.5, null]) {
      const bad = await ana.api.post("/api/room/", { participant });
      expect(bad.status, JSON.stringify(participant)).toBe(400);
      expect(bad.body.error.issues[0].path).toBe("participant");
    }
    expect((await ana.api.post("/api/room/", {})).body.error.issues[0].path).toBe("participant");
    expect((await http(server.url).post("/api/room/", { participant: 1 })).status).toBe(401);
  });

  it("tRPC room.create answers the same room", async () => {
    const dana = await signUp(server.url, "dana");
    const created = await trpcClient(server.url, ana.token).room.create.mutate({ participant: dana.user.id });
    const again = await dana.api.post<Room>("/api/room/", { participant: ana.user.id });
    expect(again.body.id).toBe(created.id);
    await expect(
      trpcClient(server.url, ana.token).room.create.mutate({ participant: ana.user.id }),
    ).rejects.toMatchObject({
      data: { code: "BAD_REQUEST", httpStatus: 400 },
    });
  });
});

describe("GET /api/room/", () => {
  it("lists the caller's rooms, most recent activity first, with last message and unread count", async () => {
    const me = await signUp(server.url, "lister");
    const [x, y, z] = await Promise.all([signUp(server.url, "x"), signUp(server.url, "y"), signUp(server.url, "z")]);
    const roomOf = async (other: TestUser) =>
      (await me.api.post<Room>("/api/room/", { participant: other.user.id })).body;
    const rx = await roomOf(x);
    const ry = await roomOf(y);
    const rz = await roomOf(z);

    // Activity: a message in rx, then ry; rz stays empty, so it is the oldest activity (its creation).
    await send(x, rx.id, "from x 1");
    await send(x, rx.id, "from x 2");
    await send(me, rx.id, "from me");
    await send(y, ry.id, "from y 1");
    const lastY = await send(y, ry.id, "from y 2");

    const list = await me.api.get<Room[]>("/api/room/");
    expect(list.status).toBe(200);
    expect(list.body.map((r) => r.id)).toEqual([ry.id, rx.id, rz.id]);
    const [byY, byX, byZ] = list.body;
    expect(byY!.lastMessage).toEqual(lastY);
    expect(byY!.unread).toBe(2);
    expect(byX!.lastMessage?.message).toBe("from me");
    expect(byX!.unread).toBe(2); // my own message never counts as unread
    expect(byZ!.lastMessage).toBeNull();
    expect(byZ!.unread).toBe(0);
    for (const room of list.body) {
      expect(room.participants).toHaveLength(2);
      expect(room.participants).toContainEqual(me.user);
    }
    expect(byY!.participants).toContainEqual(y.user);

    // The other side: y sent both, so nothing is unread for y; reading moves my count to 0.
    expect((await y.api.get<Room[]>("/api/room/")).body[0]).toMatchObject({ id: ry.id, unread: 0 });
    await me.api.post(`/api/room/${ry.id}/read`, { messageId: lastY.id });
    const after = (await me.api.get<Room[]>("/api/room/")).body;
    expect(after.find((r) => r.id === ry.id)!.unread).toBe(0);

    // New activity in the oldest room moves it to the top; a deleted message stops counting as unread.
    const fresh = await send(z, rz.id, "hello at last");
    const reordered = (await me.api.get<Room[]>("/api/room/")).body;
    expect(reordered.map((r) => r.id)).toEqual([rz.id, ry.id, rx.id]);
    expect(reordered[0]!.unread).toBe(1);
    await z.api.delete(`/api/chat/${fresh.id}`);
    expect((await me.api.get<Room[]>("/api/room/")).body.find((r) => r.id === rz.id)!.unread).toBe(0);

    // Only one's own rooms: x sees only the room with me.
    expect((await x.api.get<Room[]>("/api/room/")).body.map((r) => r.id)).toEqual([rx.id]);
  });

  it("answers with the same number of statements for a user in 1 room and in 200 rooms", async () => {
    const few = await signUp(server.url, "few");
    const many = await signUp(server.url, "many");
    const [other] = await insertUsers(server.db.pool, "solo", 1);
    await few.api.post("/api/room/", { participant: other });
    const others = await insertUsers(server.db.pool, "crowd", 200);
    for (let i = 0; i < others.length; i += 20) {
      await Promise.all(others.slice(i, i + 20).map((id) => many.api.post("/api/room/", { participant: id })));
    }
    // Some activity, so that last messages and unread counts are really computed.
    const rooms = (await many.api.get<Room[]>("/api/room/")).body;
    for (const room of rooms.slice(0, 5)) await send(many, room.id, `hi ${room.id}`);

    const statementsFor = async (user: TestUser, expected: number) => {
      log.reset();
      const res = await user.api.get<Room[]>("/api/room/");
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(expected);
      return [...log.statements];
    };
    const one = await statementsFor(few, 1);
    const twoHundred = await statementsFor(many, 200);
    expect(one.length).toBeGreaterThan(0);
    expect(twoHundred).toHaveLength(one.length);
    // The token's check (its user, its revocation) is one of them.
    expect(twoHundred.some((s) => s.includes("revoked_tokens"))).toBe(true);
    expect(twoHundred.length).toBeLessThanOrEqual(3);
  });

  it("tRPC room.list answers what REST answers", async () => {
    const rest = (await ana.api.get<Room[]>("/api/room/")).body;
    expect(await trpcClient(server.url, ana.token).room.list.query()).toEqual(rest);
  });
});
