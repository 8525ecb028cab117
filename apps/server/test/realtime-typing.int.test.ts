import { describe, expect, it } from "vitest";

import { nextEvent } from "./harness.ts";
import { call, pairJoined, record, sleep, useJoinedPair, useServer } from "./realtime-helpers.ts";

const server = useServer();

describe("typing", () => {
  const f = useJoinedPair(server);

  it("typing is relayed to the other participant, refused outside a joined room", async () => {
    const relayed = nextEvent(f.bob, "typing");
    expect(await call(f.ana, "typing", { roomId: f.p.room.id, isTyping: true })).toEqual({ ok: true, data: null });
    expect(await relayed).toEqual({ roomId: f.p.room.id, userId: f.p.ana.user.id, isTyping: true });
    const stopped = nextEvent(f.bob, "typing");
    expect(await call(f.ana, "typing", { roomId: f.p.room.id, isTyping: false })).toEqual({ ok: true, data: null });
    expect(await stopped).toEqual({ roomId: f.p.room.id, userId: f.p.ana.user.id, isTyping: false });
    expect(await call(f.eve.socket, "typing", { roomId: f.p.room.id, isTyping: true })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
  });
});

describe("typing expiry", () => {
  it("tells the room the user stopped typing 5 s after the last repeat", async () => {
    const { p, ana, bob } = await pairJoined(server.url);
    const events = record(bob, "typing");
    const start = Date.now();
    await call(ana, "typing", { roomId: p.room.id, isTyping: true });
    await sleep(2000);
    // A repeat pushes the expiry back.
    await call(ana, "typing", { roomId: p.room.id, isTyping: true });
    const repeated = Date.now();
    const stopped = await new Promise<number>((resolve) => {
      bob.on("typing", (e) => {
        if (!e.isTyping) resolve(Date.now());
      });
    });
    expect(stopped - repeated).toBeGreaterThanOrEqual(4900);
    expect(stopped - repeated).toBeLessThan(6500);
    expect(stopped - start).toBeGreaterThan(6500);
    expect(events).toEqual([
      { roomId: p.room.id, userId: p.ana.user.id, isTyping: true },
      { roomId: p.room.id, userId: p.ana.user.id, isTyping: true },
      { roomId: p.room.id, userId: p.ana.user.id, isTyping: false },
    ]);
  }, 15_000);

  it("a send stops typing at once", async () => {
    const { p, ana, bob } = await pairJoined(server.url);
    const started = nextEvent(bob, "typing");
    await call(ana, "typing", { roomId: p.room.id, isTyping: true });
    await started;
    const stopped = nextEvent(bob, "typing", 1000);
    await call(ana, "send_message", { roomId: p.room.id, message: "done typing" });
    expect(await stopped).toEqual({ roomId: p.room.id, userId: p.ana.user.id, isTyping: false });
  });
});
