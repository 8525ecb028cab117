import { beforeAll, describe, expect, it } from "vitest";

import { nextEvent, type ClientSocket } from "./harness.ts";
import { call, expectSilence, joined, pairJoined, useServer, type Pair } from "./realtime-helpers.ts";

const server = useServer();

describe("malformed payloads", () => {
  let p: Pair;
  let ana: ClientSocket;
  let bob: ClientSocket;

  beforeAll(async () => {
    ({ p, ana, bob } = await pairJoined(server.url));
  });

  const bad = () =>
    [
      ["send_message", { roomId: String(p.room.id), message: "wrong type" }, "roomId"],
      ["send_message", { roomId: p.room.id }, "message"],
      ["send_message", { roomId: p.room.id, message: "extra", admin: true }, "admin"],
      ["send_message", { roomId: p.room.id, message: "x".repeat(4001) }, "message"],
      ["send_message", { roomId: p.room.id, message: "é".repeat(10_000) }, "message"],
      ["send_message", { roomId: p.room.id, message: "   " }, "message"],
      ["send_message", "Hello!", ""],
      ["send_message", null, ""],
      ["send_message", [p.room.id, "hi"], ""],
      ["join_room", "1", ""],
      ["join_room", -1, ""],
      ["join_room", { roomId: p.room.id, extra: 1 }, "extra"],
      ["message_state", { roomId: p.room.id, messageId: 1, state: "read" }, "state"],
      ["message_state", { roomId: p.room.id, state: "lu" }, "messageId"],
      ["typing", { roomId: p.room.id, isTyping: "yes" }, "isTyping"],
      ["sync", { roomId: p.room.id, since: -1 }, "since"],
      ["sync", { roomId: p.room.id, since: 1.5 }, "since"],
    ] as const;

  it("answers BAD_REQUEST naming the field through the ack, and the sockets stay connected", async () => {
    const silent = expectSilence(bob, "receive_message", 500);
    for (const [event, payload, field] of bad()) {
      const ack = await call(ana, event, payload);
      expect(ack, `${event} ${JSON.stringify(payload)?.slice(0, 80)}`).toMatchObject({
        ok: false,
        error: { code: "BAD_REQUEST" },
      });
      if (field && !ack.ok) expect(ack.error.issues?.map((i) => i.path)).toContain(field);
    }
    await silent;
    expect(ana.connected && bob.connected).toBe(true);
    // Still served.
    expect(await call(ana, "send_message", { roomId: p.room.id, message: "still here" })).toMatchObject({ ok: true });
  });

  it("answers BAD_REQUEST when the payload is missing and only the ack is given", async () => {
    for (const event of ["send_message", "join_room", "sync"] as const) {
      const ack = await (ana.timeout(3000) as any).emitWithAck(event);
      expect(ack, event).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
    }
  });

  it("drops them silently without an ack, and nobody is disconnected", async () => {
    const silent = expectSilence(bob, "receive_message", 500);
    for (const [event, payload] of bad()) ana.emit(event as any, payload);
    (ana as any).emit("send_message");
    (ana as any).emit("no_such_event", { x: 1 });
    await silent;
    expect(ana.connected && bob.connected).toBe(true);
    const heard = nextEvent(bob, "receive_message");
    expect(await call(ana, "send_message", { roomId: p.room.id, message: "after the garbage" })).toMatchObject({
      ok: true,
    });
    expect(await heard).toMatchObject({ message: "after the garbage" });
  });

  it("a packet over the size limit closes only the socket that sent it", async () => {
    const rogue = await joined(server.url, p.ana, p.room.id);
    const gone = new Promise<string>((resolve) => rogue.once("disconnect", (reason) => resolve(reason)));
    rogue.emit("send_message", { roomId: p.room.id, message: "x".repeat(200_000) });
    expect(await gone).toMatch(/transport/);
    expect(ana.connected && bob.connected).toBe(true);
    expect(await call(ana, "send_message", { roomId: p.room.id, message: "unaffected" })).toMatchObject({ ok: true });
  });

  it("a 4,000-character message of multi-byte characters fits in a packet", async () => {
    const text = "€".repeat(4000);
    const heard = nextEvent(bob, "receive_message");
    expect(await call(ana, "send_message", { roomId: p.room.id, message: text })).toMatchObject({
      ok: true,
      data: { message: text },
    });
    expect((await heard).message).toBe(text);
  });
});
