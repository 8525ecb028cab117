import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Message, Room } from "@causette/contracts";

import { createPair, PLAIN_MESSAGE, send, type Pair } from "./chat.ts";
import { signUp, startServer, trpcClient, type TestServer, type TestUser } from "./harness.ts";

let server: TestServer;
let pair: Pair;

beforeAll(async () => {
  server = await startServer();
  pair = await createPair(server);
});
afterAll(() => server.close());

const history = async (roomId: number, query = "", reader: TestUser = pair.a) => {
  const res = await reader.api.get<Message[]>(`/api/chat/${roomId}${query}`);
  expect(res.status).toBe(200);
  return res.body;
};

describe("POST /api/chat/: send", () => {
  const texts: Array<[string, string]> = [
    ["emoji and a ZWJ family", "Salut 👋🏽 👩‍👩‍👧‍👦 🇫🇷 ❤️‍🔥"],
    ["accents and ligatures", "Ça va ? Élève naïve, où est l'œuvre ? Größe, ñandú, Ærø"],
    ["SQL-looking text", "'); DROP TABLE messages; -- \" ; SELECT * FROM users WHERE 1=1 /* $1 $$ ::text"],
    ["backslashes and escapes", "C:\\temp\\new \\n \\u0000 %s %d ${x} {{y}} <script>alert(1)</script>"],
    ["surrounding whitespace and newlines", "  indented\n\tsecond line\r\n  trailing  "],
    ["non-Latin scripts", "こんにちは 世界 · Привет · مرحبا · שלום"],
  ];

  it.each(texts)("stores %s exactly as sent", async (_name, text) => {
    const res = await pair.a.api.post<Message>("/api/chat/", { roomId: pair.room.id, message: text });
    expect(res.status).toBe(201);
    expect(res.body.message).toBe(text);
    const stored = (await history(pair.room.id)).find((m) => m.id === res.body.id);
    expect(stored?.message).toBe(text);
  });

  it("answers the stored message with every field", async () => {
    const res = await pair.b.api.post<Message>("/api/chat/", { roomId: pair.room.id, message: "fields" });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      roomId: pair.room.id,
      sender: pair.b.user.id,
      message: "fields",
      state: "ok",
      clientId: null,
      version: expect.any(Number),
      createdAt: expect.any(String),
      editedAt: null,
      deletedAt: null,
      ...PLAIN_MESSAGE,
    });
    expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
  });

  it("accepts 1 and 4,000 characters", async () => {
    expect((await pair.a.api.post("/api/chat/", { roomId: pair.room.id, message: "x" })).status).toBe(201);
    const long = "é".repeat(4000);
    const res = await pair.a.api.post<Message>("/api/chat/", { roomId: pair.room.id, message: long });
    expect(res.status).toBe(201);
    expect(res.body.message).toBe(long);
  });

  it.each([
    ["empty", ""],
    ["only spaces", "     "],
    ["only whitespace of all kinds", " \n\t\r\u00a0\u2003 "],
    ["4,001 characters", "x".repeat(4001)],
    ["a number", 42],
    ["null", null],
    ["a NUL character, which PostgreSQL text cannot hold", "before\u0000after"],
  ])("refuses %s with 400 naming `message`", async (_name, message) => {
    const res = await pair.a.api.post("/api/chat/", { roomId: pair.room.id, message });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("BAD_REQUEST");
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["message"]);
    expect(res.body.error.message).toMatch(/message/);
  });

  it("refuses a missing or malformed roomId (400) and an unknown room (404)", async () => {
    expect((await pair.a.api.post("/api/chat/", { message: "hi" })).body.error.issues[0].path).toBe("roomId");
    expect((await pair.a.api.post("/api/chat/", { roomId: "1", message: "hi" })).status).toBe(400);
    const unknown = await pair.a.api.post("/api/chat/", { roomId: 999999, message: "hi" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("NOT_FOUND");
  });

  it("tRPC message.send stores the same text", async () => {
    const text = "via tRPC ✓ 'quoted'";
    const sent = await trpcClient(server.url, pair.a.token).message.send.mutate({
      roomId: pair.room.id,
      message: text,
    });
    expect(sent.message).toBe(text);
    expect((await history(pair.room.id)).at(-1)).toEqual(sent);
  });
});

describe("idempotent sends by clientId", () => {
  it("the same clientId from the same sender in the same room answers the first message", async () => {
    const first = await pair.a.api.post<Message>("/api/chat/", {
      roomId: pair.room.id,
      message: "once",
      clientId: "c-1",
    });
    expect(first.status).toBe(201);
    expect(first.body.clientId).toBe("c-1");
    const retry = await pair.a.api.post<Message>("/api/chat/", {
      roomId: pair.room.id,
      message: "once (retried, text changed)",
      clientId: "c-1",
    });
    expect([200, 201]).toContain(retry.status);
    expect(retry.body).toEqual(first.body);
    expect((await history(pair.room.id)).filter((m) => m.clientId === "c-1")).toHaveLength(1);
  });

  it("the same clientId from another sender or in another room is another message", async () => {
    const fromA = await send(pair.a, pair.room.id, "a", "shared-id");
    const fromB = await send(pair.b, pair.room.id, "b", "shared-id");
    expect(fromB.id).not.toBe(fromA.id);
    const carl = await signUp(server.url, "carl");
    const other = (await pair.a.api.post<Room>("/api/room/", { participant: carl.user.id })).body;
    const elsewhere = await send(pair.a, other.id, "a elsewhere", "shared-id");
    expect(elsewhere.id).not.toBe(fromA.id);
    expect(elsewhere.roomId).toBe(other.id);
  });

  it("twenty retries arriving at the same moment store one message, bump the version once, and all answer it", async () => {
    const before = (await pair.a.api.get(`/api/room/${pair.room.id}/changes?since=0`)).body.version as number;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        pair.a.api.post<Message>("/api/chat/", { roomId: pair.room.id, message: "racing", clientId: "race-1" }),
      ),
    );
    for (const r of results) expect([200, 201]).toContain(r.status);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => r.status === 201).length).toBeGreaterThanOrEqual(1);
    expect((await history(pair.room.id, "?limit=200")).filter((m) => m.clientId === "race-1")).toHaveLength(1);
    const after = (await pair.a.api.get(`/api/room/${pair.room.id}/changes?since=${before}`)).body;
    expect(after.version).toBe(before + 1);
    expect(after.messages.map((m: Message) => m.id)).toEqual([results[0]!.body.id]);
  });

  it("refuses an empty or oversized clientId", async () => {
    for (const clientId of ["", "x".repeat(101), 12]) {
      const res = await pair.a.api.post("/api/chat/", { roomId: pair.room.id, message: "hi", clientId });
      expect(res.status).toBe(400);
      expect(res.body.error.issues[0].path).toBe("clientId");
    }
  });
});

describe("PUT /api/chat/:id: edit", () => {
  it("the sender edits: text replaced, editedAt set, version bumped, history shows it", async () => {
    const sent = await send(pair.a, pair.room.id, "typo");
    const res = await pair.a.api.put<Message>(`/api/chat/${sent.id}`, { message: "fixed ✓" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: sent.id, message: "fixed ✓", createdAt: sent.createdAt, deletedAt: null });
    expect(res.body.editedAt).toEqual(expect.any(String));
    expect(Date.parse(res.body.editedAt!)).toBeGreaterThanOrEqual(Date.parse(sent.createdAt));
    expect(res.body.version).toBeGreaterThan(sent.version);
    expect((await history(pair.room.id)).find((m) => m.id === sent.id)).toEqual(res.body);
  });

  it("the other participant gets 403 and the message is unchanged", async () => {
    const sent = await send(pair.a, pair.room.id, "mine");
    const res = await pair.b.api.put(`/api/chat/${sent.id}`, { message: "hijacked" });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("FORBIDDEN");
    expect((await history(pair.room.id)).find((m) => m.id === sent.id)).toEqual(sent);
  });

  it("validates the new text like a send, and answers 404 for an unknown message", async () => {
    const sent = await send(pair.a, pair.room.id, "valid");
    for (const message of ["", "   ", "x".repeat(4001)]) {
      const res = await pair.a.api.put(`/api/chat/${sent.id}`, { message });
      expect(res.status).toBe(400);
      expect(res.body.error.issues[0].path).toBe("message");
    }
    expect((await pair.a.api.put("/api/chat/99999999", { message: "x" })).status).toBe(404);
    expect((await pair.a.api.put("/api/chat/abc", { message: "x" })).body.error.issues[0].path).toBe("id");
  });

  it("a deleted message cannot be edited", async () => {
    const sent = await send(pair.a, pair.room.id, "soon gone");
    await pair.a.api.delete(`/api/chat/${sent.id}`);
    const res = await pair.a.api.put(`/api/chat/${sent.id}`, { message: "resurrected" });
    expect(res.status).toBe(404);
    const stored = (await history(pair.room.id)).find((m) => m.id === sent.id);
    expect(stored).toMatchObject({ message: "", deletedAt: expect.any(String), editedAt: null });
  });
});

describe("DELETE /api/chat/:id: tombstone", () => {
  it("the sender deletes: text emptied, deletedAt set, version bumped; history keeps the tombstone", async () => {
    const sent = await send(pair.b, pair.room.id, "regret");
    const res = await pair.b.api.delete<Message>(`/api/chat/${sent.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: sent.id,
      roomId: pair.room.id,
      sender: pair.b.user.id,
      message: "",
      deletedAt: expect.any(String),
    });
    expect(res.body.version).toBeGreaterThan(sent.version);
    expect((await history(pair.room.id)).find((m) => m.id === sent.id)).toEqual(res.body);
    // Deleting again changes nothing.
    const again = await pair.b.api.delete(`/api/chat/${sent.id}`);
    expect(again.status).toBe(404);
    expect((await history(pair.room.id)).find((m) => m.id === sent.id)).toEqual(res.body);
  });

  it("the other participant gets 403 and the message stays", async () => {
    const sent = await send(pair.b, pair.room.id, "keep me");
    const res = await pair.a.api.delete(`/api/chat/${sent.id}`);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("FORBIDDEN");
    expect((await history(pair.room.id)).find((m) => m.id === sent.id)).toEqual(sent);
  });
});

describe("GET /api/chat/:id: history", () => {
  let room: Room;
  let all: Message[];
  let x: TestUser;
  const fetchPage = (query = "") => history(room.id, query, x);

  beforeAll(async () => {
    let y: TestUser;
    [x, y] = await Promise.all([signUp(server.url, "hx"), signUp(server.url, "hy")]);
    room = (await x.api.post<Room>("/api/room/", { participant: y.user.id })).body;
    // Messages of another room in between, so ids in this room are not contiguous.
    for (let i = 0; i < 260; i += 1) {
      await send(i % 2 ? y : x, room.id, `h${i}`);
      if (i % 50 === 0) await send(pair.a, pair.room.id, `interleaved ${i}`);
    }
    await x.api.delete(`/api/chat/${(await x.api.get<Message[]>(`/api/chat/${room.id}?limit=1`)).body[0]!.id - 1}`);
    all = (await x.api.get<Message[]>(`/api/chat/${room.id}?limit=200`)).body;
  });

  it("without a cursor answers the latest 50, oldest first", async () => {
    const page = await fetchPage();
    expect(page).toHaveLength(50);
    expect(page.map((m) => m.message)).toEqual(Array.from({ length: 50 }, (_, i) => (i === 48 ? "" : `h${210 + i}`)));
    expect(page.every((m, i) => i === 0 || m.id > page[i - 1]!.id)).toBe(true);
  });

  it("includes tombstones", async () => {
    const page = await fetchPage();
    expect(page[48]).toMatchObject({ message: "", deletedAt: expect.any(String) });
  });

  it("limit: up to 200; 0, 201 and non-numbers are refused naming limit", async () => {
    expect(all).toHaveLength(200);
    expect(all[0]!.message).toBe("h60");
    expect(await fetchPage("?limit=3")).toEqual(all.slice(-3));
    for (const limit of ["0", "201", "abc", "1.5", "-1"]) {
      const res = await x.api.get(`/api/chat/${room.id}?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect(res.body.error.issues[0].path).toBe("limit");
    }
  });

  it("before=<id> answers the messages just before it, oldest first", async () => {
    const pivot = all[100]!;
    const page = await fetchPage(`?before=${pivot.id}&limit=20`);
    expect(page).toEqual(all.slice(80, 100));
    const start = await fetchPage(`?before=${all[0]!.id}&limit=200`);
    expect(start.map((m) => m.message)).toEqual(Array.from({ length: 60 }, (_, i) => `h${i}`));
    expect(await fetchPage(`?before=${start[0]!.id}`)).toEqual([]);
  });

  it("after=<id> answers the messages just after it, oldest first", async () => {
    const pivot = all[100]!;
    expect(await fetchPage(`?after=${pivot.id}&limit=20`)).toEqual(all.slice(101, 121));
    expect(await fetchPage(`?after=${all.at(-1)!.id}`)).toEqual([]);
    const fromStart = await fetchPage(`?after=1&limit=5`);
    expect(fromStart.map((m) => m.message)).toEqual(["h0", "h1", "h2", "h3", "h4"]);
  });

  it("walking back with before= visits every message once", async () => {
    const seen: number[] = [];
    let page = await fetchPage("?limit=37");
    while (page.length > 0) {
      seen.unshift(...page.map((m) => m.id));
      page = await fetchPage(`?limit=37&before=${page[0]!.id}`);
    }
    expect(seen).toHaveLength(260);
    expect(new Set(seen).size).toBe(260);
    expect([...seen].sort((p, q) => p - q)).toEqual(seen);
  });

  it("refuses before and after together", async () => {
    const res = await x.api.get(`/api/chat/${room.id}?before=10&after=5`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("BAD_REQUEST");
  });

  it("tRPC message.list answers what REST answers", async () => {
    const rest = await fetchPage(`?before=${all[50]!.id}&limit=10`);
    expect(
      await trpcClient(server.url, x.token).message.list.query({ roomId: room.id, before: all[50]!.id, limit: 10 }),
    ).toEqual(rest);
  });
});
