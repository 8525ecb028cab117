import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Changes, Message, Room } from "@causette/contracts";

import { createPair, send, type Pair } from "./chat.ts";
import { startServer, trpcClient, type TestServer } from "./harness.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const changes = async (pair: Pair, since: number | string) => {
  const res = await pair.a.api.get<Changes>(`/api/room/${pair.room.id}/changes?since=${since}`);
  expect(res.status).toBe(200);
  return res.body;
};

describe("room versions", () => {
  it("a new room is at version 0", async () => {
    const pair = await createPair(server);
    expect(pair.room.version).toBe(0);
    expect(await changes(pair, 0)).toEqual({ version: 0, messages: [] });
  });

  it("50 concurrent sends from both sides take exactly consecutive versions, and the room's version is the last", async () => {
    const pair = await createPair(server);
    const start = (await changes(pair, 0)).version;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? pair.a : pair.b).api.post<Message>("/api/chat/", { roomId: pair.room.id, message: `burst ${i}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const versions = results.map((r) => r.body.version).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => start + 1 + i));
    // Commit order is version order, and ids (the history order) agree with it.
    const byId = [...results.map((r) => r.body)].sort((x, y) => x.id - y.id);
    expect(byId.map((m) => m.version)).toEqual(versions);
    const room = (await pair.a.api.get<Room[]>("/api/room/")).body.find((r) => r.id === pair.room.id)!;
    expect(room.version).toBe(start + 50);
    expect((await changes(pair, 0)).version).toBe(start + 50);
    expect(room.lastMessage?.id).toBe(byId.at(-1)!.id);
  });

  it("concurrent writes of every kind (send, edit, delete, receipt) still take consecutive versions", async () => {
    const pair = await createPair(server);
    const seeds: Message[] = [];
    for (let i = 0; i < 10; i += 1) seeds.push(await send(i % 2 ? pair.b : pair.a, pair.room.id, `seed ${i}`));
    const start = (await changes(pair, 0)).version;
    const writes = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) =>
        pair.a.api.post<Message>("/api/chat/", { roomId: pair.room.id, message: `more ${i}` }),
      ),
      pair.a.api.put<Message>(`/api/chat/${seeds[0]!.id}`, { message: "edited" }),
      pair.b.api.delete<Message>(`/api/chat/${seeds[1]!.id}`),
      pair.b.api.patch<Message>(`/api/chat/${seeds[8]!.id}/state`, { state: "recu" }),
      pair.a.api.post<Message>(`/api/room/${pair.room.id}/read`, { messageId: seeds[9]!.id }),
    ]);
    for (const w of writes) expect(w.status).toBeLessThan(300);
    // Each write answers the message it touched at the version it took.
    expect(writes.map((w) => w.body.version).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 14 }, (_, i) => start + 1 + i),
    );
    const after = await changes(pair, start);
    expect(after.version).toBe(start + 14);
    // A message touched twice appears once, at its latest version.
    expect(new Set(after.messages.map((m) => m.id)).size).toBe(after.messages.length);
    expect(after.messages.length).toBe(10 + 10);
  });
});

describe("GET /api/room/:id/changes?since=", () => {
  it("answers each message changed after `since` once, in version order, with the room's version", async () => {
    const pair = await createPair(server);
    const m1 = await send(pair.a, pair.room.id, "one");
    const m2 = await send(pair.b, pair.room.id, "two");
    const m3 = await send(pair.a, pair.room.id, "three");
    expect((await changes(pair, 0)).messages).toEqual([m1, m2, m3]);
    expect(await changes(pair, m1.version)).toEqual({ version: m3.version, messages: [m2, m3] });
    expect(await changes(pair, m3.version)).toEqual({ version: m3.version, messages: [] });

    // Edit m1, delete m2, then read everything: each message appears once, at its latest version.
    const edited = (await pair.a.api.put<Message>(`/api/chat/${m1.id}`, { message: "one, edited" })).body;
    const deleted = (await pair.b.api.delete<Message>(`/api/chat/${m2.id}`)).body;
    await pair.b.api.post(`/api/room/${pair.room.id}/read`, { messageId: m3.id });
    const feed = await changes(pair, m3.version);
    expect(feed.version).toBe(m3.version + 3);
    expect(feed.messages.map((m) => m.id)).toEqual([m2.id, m1.id, m3.id]);
    expect(feed.messages[0]).toEqual(deleted);
    expect(feed.messages[1]).toMatchObject({
      id: m1.id,
      message: "one, edited",
      state: "lu",
      editedAt: edited.editedAt,
    });
    expect(feed.messages.map((m) => m.version)).toEqual([m3.version + 2, m3.version + 3, m3.version + 3]);

    // since=0 still lists each message once.
    const everything = await changes(pair, 0);
    expect(everything.messages.map((m) => m.id).sort((x, y) => x - y)).toEqual([m1.id, m2.id, m3.id]);
    const versions = everything.messages.map((m) => m.version);
    expect([...versions].sort((x, y) => x - y)).toEqual(versions);
  });

  it("a version ahead of the room answers nothing; a bad since is refused naming since", async () => {
    const pair = await createPair(server);
    await send(pair.a, pair.room.id, "x");
    expect(await changes(pair, 1000)).toEqual({ version: 1, messages: [] });
    for (const since of ["-1", "abc", "1.5"]) {
      const res = await pair.a.api.get(`/api/room/${pair.room.id}/changes?since=${since}`);
      expect(res.status, since).toBe(400);
      expect(res.body.error.issues[0].path).toBe("since");
    }
    // Without since: everything.
    expect((await pair.a.api.get<Changes>(`/api/room/${pair.room.id}/changes`)).body.messages).toHaveLength(1);
  });

  it("a client catching up while writes go on misses nothing and sees nothing twice", async () => {
    const pair = await createPair(server);
    const seen = new Map<number, number>();
    let version = 0;
    let writing = true;
    const poll = (async () => {
      while (writing) {
        const feed = await changes(pair, version);
        for (const m of feed.messages) {
          expect(m.version).toBeGreaterThan(version);
          expect(m.version).toBeLessThanOrEqual(feed.version);
          seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
        }
        version = feed.version;
      }
    })();
    const sent = await Promise.all(
      Array.from({ length: 40 }, (_, i) => send(i % 2 ? pair.a : pair.b, pair.room.id, `live ${i}`)),
    );
    writing = false;
    await poll;
    const rest = await changes(pair, version);
    for (const m of rest.messages) seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
    expect([...seen.keys()].sort((x, y) => x - y)).toEqual(sent.map((m) => m.id).sort((x, y) => x - y));
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  it("tRPC room.changes answers what REST answers", async () => {
    const pair = await createPair(server);
    await send(pair.a, pair.room.id, "x");
    expect(await trpcClient(server.url, pair.a.token).room.changes.query({ id: pair.room.id, since: 0 })).toEqual(
      await changes(pair, 0),
    );
  });
});
