import { beforeAll, describe, expect, it } from "vitest";

import { nextEvent, type ClientSocket, type TestUser } from "./harness.ts";
import { call, joined, pair, pairJoinedAndOutsider, useServer, type Pair } from "./realtime-helpers.ts";

const server = useServer();

describe("message_state", () => {
  let p: Pair;
  let ana: ClientSocket;
  let bob: ClientSocket;
  let eve: { user: TestUser; socket: ClientSocket };

  beforeAll(async () => {
    ({ p, ana, bob, eve } = await pairJoinedAndOutsider(server.url));
  });

  it("message_state moves the receipt and sends message_state_update to the room; only the recipient may", async () => {
    const broadcast = nextEvent(bob, "receive_message");
    const sent = await call(ana, "send_message", { roomId: p.room.id, message: "read me" });
    if (!sent.ok) throw new Error("send failed");
    expect(await broadcast).toEqual(sent.data);
    const update = nextEvent(ana, "message_state_update");
    const ack = await call(bob, "message_state", { roomId: p.room.id, messageId: sent.data.id, state: "recu" });
    expect(ack).toMatchObject({ ok: true, data: { id: sent.data.id, state: "recu", version: sent.data.version + 1 } });
    expect(await update).toEqual({
      roomId: p.room.id,
      messageId: sent.data.id,
      state: "recu",
      version: sent.data.version + 1,
      userId: p.bob.user.id,
    });

    expect(await call(ana, "message_state", { roomId: p.room.id, messageId: sent.data.id, state: "lu" })).toMatchObject(
      { ok: false, error: { code: "FORBIDDEN" } },
    );
    expect(
      await call(eve.socket, "message_state", { roomId: p.room.id, messageId: sent.data.id, state: "lu" }),
    ).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    // The message exists, but not in the room named.
    const other = await pair(server.url);
    const elsewhere = await call(await joined(server.url, other.bob, other.room.id), "message_state", {
      roomId: other.room.id,
      messageId: sent.data.id,
      state: "lu",
    });
    expect(elsewhere).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    expect((await p.ana.api.get(`/api/chat/${p.room.id}?before=${sent.data.id + 1}&limit=1`)).body[0].state).toBe(
      "recu",
    );
  });
});
