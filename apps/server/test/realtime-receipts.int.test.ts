import { describe, expect, it } from "vitest";

import { nextEvent } from "./harness.ts";
import { call, joined, pair, useJoinedPair, useServer } from "./realtime-helpers.ts";

const server = useServer();

describe("message_state", () => {
  const f = useJoinedPair(server);

  it("message_state moves the receipt and sends message_state_update to the room; only the recipient may", async () => {
    const broadcast = nextEvent(f.bob, "receive_message");
    const sent = await call(f.ana, "send_message", { roomId: f.p.room.id, message: "read me" });
    if (!sent.ok) throw new Error("send failed");
    expect(await broadcast).toEqual(sent.data);
    const update = nextEvent(f.ana, "message_state_update");
    const ack = await call(f.bob, "message_state", { roomId: f.p.room.id, messageId: sent.data.id, state: "recu" });
    expect(ack).toMatchObject({ ok: true, data: { id: sent.data.id, state: "recu", version: sent.data.version + 1 } });
    expect(await update).toEqual({
      roomId: f.p.room.id,
      messageId: sent.data.id,
      state: "recu",
      version: sent.data.version + 1,
      userId: f.p.bob.user.id,
    });

    expect(
      await call(f.ana, "message_state", { roomId: f.p.room.id, messageId: sent.data.id, state: "lu" }),
    ).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    expect(
      await call(f.eve.socket, "message_state", { roomId: f.p.room.id, messageId: sent.data.id, state: "lu" }),
    ).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    // The message exists, but not in the room named.
    const other = await pair(server.url);
    const elsewhere = await call(await joined(server.url, other.bob, other.room.id), "message_state", {
      roomId: other.room.id,
      messageId: sent.data.id,
      state: "lu",
    });
    expect(elsewhere).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    expect((await f.p.ana.api.get(`/api/chat/${f.p.room.id}?before=${sent.data.id + 1}&limit=1`)).body[0].state).toBe(
      "recu",
    );
  });
});
