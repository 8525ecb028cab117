import { describe, expect, it } from "vitest";

import { nextEvent } from "./harness.ts";
import { call, expectSilence, joined, useJoinedPair, useServer } from "./realtime-helpers.ts";

const server = useServer();

describe("join_room and leave_room", () => {
  const f = useJoinedPair(server);

  it("join_room accepts { roomId } too, and refuses a room the caller is not in as NOT_FOUND", async () => {
    expect(await call(f.ana, "join_room", { roomId: f.p.room.id })).toEqual({ ok: true, data: null });
    const refused = await call(f.eve.socket, "join_room", f.p.room.id);
    expect(refused).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    // As if the room did not exist.
    expect(await call(f.eve.socket, "join_room", 999_999)).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    // Refused, she hears nothing of the room.
    const silent = expectSilence(f.eve.socket, "receive_message");
    expect(await call(f.ana, "send_message", { roomId: f.p.room.id, message: "not for eve" })).toMatchObject({
      ok: true,
    });
    await silent;
  });

  it("leave_room stops the room's broadcasts to that socket", async () => {
    const extra = await joined(server.url, f.p.bob, f.p.room.id);
    expect(await call(extra, "leave_room", f.p.room.id)).toEqual({ ok: true, data: null });
    const silent = expectSilence(extra, "receive_message");
    const heard = nextEvent(f.bob, "receive_message");
    await call(f.ana, "send_message", { roomId: f.p.room.id, message: "after leave" });
    await heard;
    await silent;
    expect(await call(extra, "typing", { roomId: f.p.room.id, isTyping: true })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
    extra.disconnect();
  });
});
