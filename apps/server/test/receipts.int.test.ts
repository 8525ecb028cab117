import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { Changes, Message } from "@causette/contracts";

import { createPair, send, type Pair } from "./chat.ts";
import { startServer, trpcClient, type TestServer } from "./harness.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** A fresh pair per test: receipts are cumulative, so tests must not share a room. */
let pair: Pair;
beforeEach(async () => {
  pair = await createPair(server);
});

const stateOf = async (messages: Message[]) => {
  const page = (await pair.a.api.get<Message[]>(`/api/chat/${pair.room.id}?limit=200`)).body;
  return messages.map((m) => page.find((p) => p.id === m.id)!.state);
};

describe("PATCH /api/chat/:id/state", () => {
  it("the recipient moves ok -> recu -> lu; each answer is the message with its new state and version", async () => {
    const m = await send(pair.a, pair.room.id, "hello");
    const recu = await pair.b.api.patch<Message>(`/api/chat/${m.id}/state`, { state: "recu" });
    expect(recu.status).toBe(200);
    expect(recu.body).toEqual({ ...m, state: "recu", version: m.version + 1 });
    const lu = await pair.b.api.patch<Message>(`/api/chat/${m.id}/state`, { state: "lu" });
    expect(lu.body).toEqual({ ...m, state: "lu", version: m.version + 2 });
  });

  it("an earlier or equal state answers the message unchanged, without a new version", async () => {
    const m = await send(pair.a, pair.room.id, "hello");
    const lu = (await pair.b.api.patch<Message>(`/api/chat/${m.id}/state`, { state: "lu" })).body;
    for (const state of ["recu", "ok", "lu"]) {
      const res = await pair.b.api.patch<Message>(`/api/chat/${m.id}/state`, { state });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(lu);
    }
    const changes = (await pair.a.api.get<Changes>(`/api/room/${pair.room.id}/changes?since=0`)).body;
    expect(changes.version).toBe(lu.version);
  });

  it("skipping recu straight to lu is allowed", async () => {
    const m = await send(pair.a, pair.room.id, "hello");
    expect((await pair.b.api.patch<Message>(`/api/chat/${m.id}/state`, { state: "lu" })).body.state).toBe("lu");
  });

  it("moves every earlier message of the same sender at least as far, in one version; not later ones, not the recipient's own", async () => {
    const a1 = await send(pair.a, pair.room.id, "a1");
    const a2 = await send(pair.a, pair.room.id, "a2");
    const b1 = await send(pair.b, pair.room.id, "b1");
    const a3 = await send(pair.a, pair.room.id, "a3");
    const a4 = await send(pair.a, pair.room.id, "a4");
    await pair.b.api.patch(`/api/chat/${a1.id}/state`, { state: "lu" });
    const res = await pair.b.api.patch<Message>(`/api/chat/${a3.id}/state`, { state: "recu" });
    expect(res.body.state).toBe("recu");
    // a1 stays lu (never backwards), a2 and a3 move to recu, a4 (later) and b1 (b's own) stay ok.
    expect(await stateOf([a1, a2, a3, a4, b1])).toEqual(["lu", "recu", "recu", "ok", "ok"]);
    const changes = (await pair.a.api.get<Changes>(`/api/room/${pair.room.id}/changes?since=${a4.version + 1}`)).body;
    expect(changes.messages.map((m) => m.id)).toEqual([a2.id, a3.id]);
    expect(new Set(changes.messages.map((m) => m.version))).toEqual(new Set([changes.version]));
  });

  it("the sender setting a receipt on their own message gets 403, and nothing moves", async () => {
    const m = await send(pair.a, pair.room.id, "mine");
    for (const state of ["recu", "lu"]) {
      const res = await pair.a.api.patch(`/api/chat/${m.id}/state`, { state });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("FORBIDDEN");
    }
    expect(await stateOf([m])).toEqual(["ok"]);
  });

  it("refuses an unknown state (400 naming state) and an unknown message (404)", async () => {
    const m = await send(pair.a, pair.room.id, "x");
    for (const state of ["read", "LU", "", 2, null]) {
      const res = await pair.b.api.patch(`/api/chat/${m.id}/state`, { state });
      expect(res.status).toBe(400);
      expect(res.body.error.issues[0].path).toBe("state");
    }
    expect((await pair.b.api.patch(`/api/chat/${m.id}/state`, {})).body.error.issues[0].path).toBe("state");
    expect((await pair.b.api.patch("/api/chat/99999999/state", { state: "lu" })).status).toBe(404);
  });

  it("a deleted message keeps its state and deleted messages are skipped by cumulative receipts", async () => {
    const a1 = await send(pair.a, pair.room.id, "a1");
    const a2 = await send(pair.a, pair.room.id, "a2");
    const deleted = (await pair.a.api.delete<Message>(`/api/chat/${a1.id}`)).body;
    await pair.b.api.patch(`/api/chat/${a2.id}/state`, { state: "lu" });
    const page = (await pair.a.api.get<Message[]>(`/api/chat/${pair.room.id}`)).body;
    expect(page.find((m) => m.id === a1.id)).toEqual(deleted);
    expect(page.find((m) => m.id === a2.id)!.state).toBe("lu");
  });

  it("concurrent receipts on many messages never move a message backwards", async () => {
    const sent: Message[] = [];
    for (let i = 0; i < 10; i += 1) sent.push(await send(pair.a, pair.room.id, `m${i}`));
    await Promise.all(
      sent.flatMap((m, i) => [
        pair.b.api.patch(`/api/chat/${m.id}/state`, { state: i % 2 ? "lu" : "recu" }),
        pair.b.api.patch(`/api/chat/${m.id}/state`, { state: "recu" }),
      ]),
    );
    // m9 was marked lu, so everything up to it is lu whatever order the calls ran in.
    expect(await stateOf(sent)).toEqual(Array(10).fill("lu"));
  });

  it("tRPC message.setState behaves the same", async () => {
    const m = await send(pair.a, pair.room.id, "x");
    expect(
      (await trpcClient(server.url, pair.b.token).message.setState.mutate({ id: m.id, state: "recu" })).state,
    ).toBe("recu");
    await expect(
      trpcClient(server.url, pair.a.token).message.setState.mutate({ id: m.id, state: "lu" }),
    ).rejects.toMatchObject({
      data: { code: "FORBIDDEN", httpStatus: 403 },
    });
  });
});

describe("POST /api/room/:id/read", () => {
  it("marks the message and every earlier one from the other participant lu, in one call and one version", async () => {
    const a1 = await send(pair.a, pair.room.id, "a1");
    const b1 = await send(pair.b, pair.room.id, "b1");
    const a2 = await send(pair.a, pair.room.id, "a2");
    const a3 = await send(pair.a, pair.room.id, "a3");
    const res = await pair.b.api.post<Message>(`/api/room/${pair.room.id}/read`, { messageId: a2.id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: a2.id, state: "lu" });
    expect(await stateOf([a1, a2, a3, b1])).toEqual(["lu", "lu", "ok", "ok"]);
    const changes = (await pair.b.api.get<Changes>(`/api/room/${pair.room.id}/changes?since=${a3.version}`)).body;
    expect(changes.version).toBe(a3.version + 1);
    expect(changes.messages.map((m) => [m.id, m.state, m.version])).toEqual([
      [a1.id, "lu", a3.version + 1],
      [a2.id, "lu", a3.version + 1],
    ]);
    // The unread count follows.
    const rooms = (await pair.b.api.get(`/api/room/`)).body as Array<{ id: number; unread: number }>;
    expect(rooms.find((r) => r.id === pair.room.id)!.unread).toBe(1);
    // Again: nothing moves, the answer is the message as it stands.
    const again = await pair.b.api.post<Message>(`/api/room/${pair.room.id}/read`, { messageId: a2.id });
    expect(again.body).toEqual(res.body);
  });

  it("answers 404 for a message of another room, 403 for one's own message, 400 without messageId", async () => {
    const other = await createPair(server, ["o1", "o2"]);
    const elsewhere = await send(other.a, other.room.id, "elsewhere");
    const mine = await send(pair.b, pair.room.id, "mine");
    expect((await pair.b.api.post(`/api/room/${pair.room.id}/read`, { messageId: elsewhere.id })).status).toBe(404);
    // Even a member of both rooms may not mark a message through the wrong room.
    expect((await other.b.api.post(`/api/room/${pair.room.id}/read`, { messageId: elsewhere.id })).status).toBe(404);
    expect((await pair.b.api.post(`/api/room/${pair.room.id}/read`, { messageId: mine.id })).status).toBe(403);
    const missing = await pair.b.api.post(`/api/room/${pair.room.id}/read`, {});
    expect(missing.status).toBe(400);
    expect(missing.body.error.issues[0].path).toBe("messageId");
    expect(await stateOf([mine])).toEqual(["ok"]);
  });

  it("tRPC room.markRead behaves the same", async () => {
    const a1 = await send(pair.a, pair.room.id, "a1");
    const a2 = await send(pair.a, pair.room.id, "a2");
    const read = await trpcClient(server.url, pair.b.token).room.markRead.mutate({
      id: pair.room.id,
      messageId: a2.id,
    });
    expect(read).toMatchObject({ id: a2.id, state: "lu" });
    expect(await stateOf([a1])).toEqual(["lu"]);
  });
});
