import { describe, expect, it } from "vitest";

import { type Message } from "@causette/contracts";

import { PLAIN_MESSAGE } from "./chat.ts";
import { connectSocket, nextEvent, signUp } from "./harness.ts";
import {
  call,
  eventually,
  expectSilence,
  joined,
  pair,
  pairJoined,
  useJoinedPair,
  useServer,
} from "./realtime-helpers.ts";

const server = useServer();

describe("send_message", () => {
  const f = useJoinedPair(server);

  it("send_message stores, acks the stored message, and broadcasts it to the other participant with its version", async () => {
    const before = (await f.p.ana.api.get(`/api/room/${f.p.room.id}/changes?since=0`)).body.version as number;
    const toBob = nextEvent(f.bob, "receive_message");
    const anaHears = expectSilence(f.ana, "receive_message");
    const ack = await call(f.ana, "send_message", { roomId: f.p.room.id, message: "Bonjour Bob", clientId: "c-1" });
    expect(ack).toEqual({
      ok: true,
      data: {
        id: expect.any(Number),
        roomId: f.p.room.id,
        sender: f.p.ana.user.id,
        message: "Bonjour Bob",
        state: "ok",
        clientId: "c-1",
        version: before + 1,
        createdAt: expect.any(String),
        editedAt: null,
        deletedAt: null,
        ...PLAIN_MESSAGE,
      },
    });
    expect(await toBob).toEqual(ack.ok && ack.data);
    // The socket that asked for an ack learns from the ack, not from a duplicate broadcast.
    await anaHears;
    // A retry with the same clientId answers the same message and broadcasts it again (its first
    // attempt may have died before broadcasting): Bob drops it by id and version.
    const again = nextEvent(f.bob, "receive_message");
    const silentForAna = expectSilence(f.ana, "receive_message");
    expect(await call(f.ana, "send_message", { roomId: f.p.room.id, message: "Bonjour Bob", clientId: "c-1" })).toEqual(
      ack,
    );
    expect(await again).toEqual(ack.ok && ack.data);
    await silentForAna;
  });

  it("send_message with the caller's own sender is accepted; a spoofed sender is refused and nothing is stored", async () => {
    expect(
      await call(f.ana, "send_message", { roomId: f.p.room.id, message: "signed", sender: f.p.ana.user.id }),
    ).toMatchObject({ ok: true, data: { sender: f.p.ana.user.id } });
    const before = (await f.p.ana.api.get(`/api/chat/${f.p.room.id}`)).body.length;
    const silent = expectSilence(f.ana, "receive_message");
    const spoofed = await call(f.bob, "send_message", {
      roomId: f.p.room.id,
      message: "I am Ana",
      sender: f.p.ana.user.id,
    });
    expect(spoofed).toMatchObject({ ok: false, error: { code: "FORBIDDEN", issues: [{ path: "sender" }] } });
    await silent;
    expect((await f.p.ana.api.get(`/api/chat/${f.p.room.id}`)).body).toHaveLength(before);
  });

  it("send_message to a room the caller is not in answers NOT_FOUND and stores nothing", async () => {
    const before = (await f.p.ana.api.get(`/api/chat/${f.p.room.id}`)).body.length;
    const silent = expectSilence(f.bob, "receive_message");
    expect(await call(f.eve.socket, "send_message", { roomId: f.p.room.id, message: "intrusion" })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
    expect(
      await call(f.eve.socket, "send_message", { roomId: f.p.room.id, message: "again", clientId: "x" }),
    ).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    await silent;
    expect((await f.p.ana.api.get(`/api/chat/${f.p.room.id}`)).body).toHaveLength(before);
  });
});

describe("ordering", () => {
  it("handles one socket's events in the order it sent them", async () => {
    const p = await pair(server.url);
    const bob = await joined(server.url, p.bob, p.room.id);
    const ana = await connectSocket(server.url, p.ana.token);
    // Not waiting for join_room's ack: the next events still find the room joined.
    const join = call(ana, "join_room", p.room.id);
    const typing = call(ana, "typing", { roomId: p.room.id, isTyping: true });
    const sends = Array.from({ length: 20 }, (_, i) =>
      call(ana, "send_message", { roomId: p.room.id, message: `n${i}` }),
    );
    expect(await join).toEqual({ ok: true, data: null });
    expect(await typing).toEqual({ ok: true, data: null });
    const acks = await Promise.all(sends);
    const ids = acks.map((a) => (a.ok ? a.data.id : 0));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const stored = await p.bob.api.get(`/api/chat/${p.room.id}`);
    expect(stored.body.map((m: Message) => m.message)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
    bob.disconnect();
  });
});

describe("concurrent sends (written together when they arrive together)", () => {
  it("answers each send with its own message, versions each room without gaps, and stores a clientId once", async () => {
    const pairs = await Promise.all([pair(server.url), pair(server.url), pair(server.url)]);
    const eve = await signUp(server.url, "eve");
    const sockets = await Promise.all(
      pairs.flatMap((p) => [
        joined(server.url, p.ana, p.room.id),
        joined(server.url, p.bob, p.room.id),
        connectSocket(server.url, p.ana.token),
      ]),
    );
    const eveSocket = await connectSocket(server.url, eve.token);

    const sends = pairs.flatMap((p, r) =>
      Array.from({ length: 10 }, (_, i) => ({
        socket: sockets[r * 3 + (i % 2)]!,
        roomId: p.room.id,
        message: `r${r} m${i}`,
      })),
    );
    // The same clientId from two tabs at once, and an intruder, in the same burst.
    const acks = await Promise.all([
      ...sends.map((s) => call(s.socket, "send_message", { roomId: s.roomId, message: s.message })),
      call(sockets[0]!, "send_message", { roomId: pairs[0].room.id, message: "once", clientId: "dup" }),
      call(sockets[2]!, "send_message", { roomId: pairs[0].room.id, message: "once", clientId: "dup" }),
      call(eveSocket, "send_message", { roomId: pairs[1].room.id, message: "intrusion" }),
    ]);
    const [dupA, dupB, intrusion] = acks.slice(-3);
    expect(intrusion).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    expect(dupA).toMatchObject({ ok: true, data: { message: "once", clientId: "dup" } });
    expect(dupB).toEqual(dupA);
    for (const [i, s] of sends.entries())
      expect(acks[i]).toMatchObject({ ok: true, data: { roomId: s.roomId, message: s.message } });

    for (const p of pairs) {
      const stored = (await p.ana.api.get(`/api/chat/${p.room.id}?limit=200`)).body as Message[];
      expect(stored.length).toBe(p === pairs[0] ? 11 : 10);
      // In id order, the room's versions are 1, 2, 3... and the room's version is the last.
      expect(stored.map((m) => m.version)).toEqual(stored.map((_, i) => i + 1));
      expect((await p.ana.api.get(`/api/room/${p.room.id}/changes?since=0`)).body.version).toBe(stored.length);
      for (const m of stored)
        expect(acks.filter((a) => a.ok && a.data.id === m.id).map((a) => a.ok && a.data)).toContainEqual(m);
    }
    expect(
      (await pairs[1].ana.api.get(`/api/chat/${pairs[1].room.id}`)).body.map((m: Message) => m.message),
    ).not.toContain("intrusion");
  });

  it("a room's live events reach each socket in version order, however many sends are in flight", async () => {
    const { p: room, bob: receiver } = await pairJoined(server.url);
    const seen: number[] = [];
    receiver.on("receive_message", (m) => seen.push(m.version));
    // Many sends at once over separate connections: several statements in flight, answering in any order.
    const sent = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        room.ana.api.post("/api/chat/", { roomId: room.room.id, message: `o ${i}` }),
      ),
    );
    expect(sent.every((r) => r.status === 201)).toBe(true);
    await eventually(() => expect(seen).toHaveLength(60), 10_000);
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});
