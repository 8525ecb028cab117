import { describe, expect, it } from "vitest";

import { type Message } from "@causette/contracts";

import { nextEvent } from "./harness.ts";
import { call, eventually, joined, pair, record, useJoinedPair, useServer } from "./realtime-helpers.ts";

const server = useServer();

describe("sync", () => {
  const f = useJoinedPair(server);

  it("sync answers what GET /api/room/:id/changes answers, and refuses a non-member", async () => {
    const rest = await f.p.ana.api.get(`/api/room/${f.p.room.id}/changes?since=1`);
    expect(rest.status).toBe(200);
    expect(await call(f.ana, "sync", { roomId: f.p.room.id, since: 1 })).toEqual({ ok: true, data: rest.body });
    expect(await call(f.eve.socket, "sync", { roomId: f.p.room.id, since: 0 })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
  });
});

describe("catch-up after a disconnect", () => {
  it("GET /api/room/:id/changes and sync answer every missed change exactly once, in order", async () => {
    const p = await pair(server.url);
    const ana = await joined(server.url, p.ana, p.room.id);
    let bob = await joined(server.url, p.bob, p.room.id);
    const seen = record(bob, "receive_message");
    await call(ana, "send_message", { roomId: p.room.id, message: "before" });
    await eventually(() => expect(seen).toHaveLength(1));
    const lastSeen = seen[0]!.version;
    bob.disconnect();

    const first = await call(ana, "send_message", { roomId: p.room.id, message: "missed 1" });
    await call(ana, "send_message", { roomId: p.room.id, message: "missed 2" });
    if (!first.ok) throw new Error("send failed");
    await p.ana.api.put(`/api/chat/${first.data.id}`, { message: "missed 1, edited" });
    await p.bob.api.patch(`/api/chat/${first.data.id}/state`, { state: "recu" });

    bob = await joined(server.url, p.bob, p.room.id);
    const rest = await p.bob.api.get(`/api/room/${p.room.id}/changes?since=${lastSeen}`);
    expect(rest.status).toBe(200);
    expect(rest.body.version).toBe(lastSeen + 4);
    // Each message appears once, at its latest version, in version order.
    expect(rest.body.messages.map((m: Message) => [m.message, m.state, m.version])).toEqual([
      ["missed 2", "ok", lastSeen + 2],
      // Receipts are cumulative: marking "missed 1" moved the earlier "before" too.
      ["before", "recu", lastSeen + 4],
      ["missed 1, edited", "recu", lastSeen + 4],
    ]);
    expect(await call(bob, "sync", { roomId: p.room.id, since: lastSeen })).toEqual({ ok: true, data: rest.body });
    // Nothing more after the version answered, and nothing twice.
    expect(await call(bob, "sync", { roomId: p.room.id, since: rest.body.version })).toEqual({
      ok: true,
      data: { version: rest.body.version, messages: [] },
    });
    const next = nextEvent(bob, "receive_message");
    await call(ana, "send_message", { roomId: p.room.id, message: "live again" });
    expect((await next).version).toBe(rest.body.version + 1);
  });
});
