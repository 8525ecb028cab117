import { beforeAll, describe, expect, it } from "vitest";

import { nextEvent, type ClientSocket, type TestUser } from "./harness.ts";
import { call, expectSilence, joined, pairJoinedAndOutsider, useServer, type Pair } from "./realtime-helpers.ts";

const server = useServer();

describe("join_room and leave_room", () => {
  let p: Pair;
  let ana: ClientSocket;
  let bob: ClientSocket;
  let eve: { user: TestUser; socket: ClientSocket };

  beforeAll(async () => {
    ({ p, ana, bob, eve } = await pairJoinedAndOutsider(server.url));
  });

  it("join_room accepts { roomId } too, and refuses a room the caller is not in as NOT_FOUND", async () => {
    expect(await call(ana, "join_room", { roomId: p.room.id })).toEqual({ ok: true, data: null });
    const refused = await call(eve.socket, "join_room", p.room.id);
    expect(refused).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    // As if the room did not exist.
    expect(await call(eve.socket, "join_room", 999_999)).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    // Refused, she hears nothing of the room.
    const silent = expectSilence(eve.socket, "receive_message");
    expect(await call(ana, "send_message", { roomId: p.room.id, message: "not for eve" })).toMatchObject({ ok: true });
    await silent;
  });

  it("leave_room stops the room's broadcasts to that socket", async () => {
    const extra = await joined(server.url, p.bob, p.room.id);
    expect(await call(extra, "leave_room", p.room.id)).toEqual({ ok: true, data: null });
    const silent = expectSilence(extra, "receive_message");
    const heard = nextEvent(bob, "receive_message");
    await call(ana, "send_message", { roomId: p.room.id, message: "after leave" });
    await heard;
    await silent;
    expect(await call(extra, "typing", { roomId: p.room.id, isTyping: true })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
    extra.disconnect();
  });
});
