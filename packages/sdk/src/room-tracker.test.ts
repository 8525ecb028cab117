import { describe, expect, it } from "vitest";

import type { Message } from "@causette/contracts";

import { RoomTracker } from "./room-tracker.ts";

const ANA = 1;
const BOB = 2;
const msg = (id: number, version: number, extra: Partial<Message> = {}): Message => ({
  id,
  roomId: 7,
  sender: ANA,
  message: `m${id}`,
  state: "ok",
  clientId: null,
  version,
  createdAt: "2026-01-01T00:00:00.000Z",
  editedAt: null,
  deletedAt: null,
  parentId: null,
  quotedId: null,
  quoted: null,
  replyCount: 0,
  lastReplyAt: null,
  reactions: [],
  mentions: [],
  attachments: [],
  ...extra,
});
const tracker = () => new RoomTracker(7, { version: 10, maxMessageId: 100, participants: [ANA, BOB] });

describe("RoomTracker", () => {
  it("drops a live event already delivered at that version, or an older one", () => {
    const t = tracker();
    expect(t.accept({ event: "receive_message", payload: msg(101, 11) })).toBe(true);
    expect(t.accept({ event: "receive_message", payload: msg(101, 11) })).toBe(false);
    expect(
      t.accept({ event: "message_updated", payload: msg(101, 12, { editedAt: "2026-01-01T00:01:00.000Z" }) }),
    ).toBe(true);
    expect(t.accept({ event: "receive_message", payload: msg(101, 11) })).toBe(false);
    expect(t.version).toBe(12);
  });

  it("delivers a missed message as new even when the client's own later send has a higher id", () => {
    const t = tracker();
    // Bob's 101 (version 11) is missed during an outage; Ana's own send 102 (version 12) is acknowledged.
    t.recordOwn(msg(102, 12));
    const out = t.catchUp({ version: 12, messages: [msg(101, 11, { sender: BOB })] });
    expect(out.map((e) => e.event)).toEqual(["receive_message"]);
    expect(t.version).toBe(12);
  });

  it("keeps the catch-up point at the last version seen without a gap", () => {
    const t = tracker();
    t.accept({ event: "receive_message", payload: msg(102, 12) });
    expect(t.version).toBe(10);
    t.accept({ event: "receive_message", payload: msg(101, 11) });
    expect(t.version).toBe(12);
  });

  it("maps missed changes to the events a live client would have had, in version order", () => {
    const t = tracker();
    t.accept({ event: "receive_message", payload: msg(90, 10, { sender: BOB }) });
    const out = t.catchUp({
      version: 16,
      messages: [
        msg(50, 11, { editedAt: "2026-01-01T00:01:00.000Z", message: "edited" }),
        msg(60, 12, { deletedAt: "2026-01-01T00:02:00.000Z", message: "" }),
        msg(101, 13),
        msg(88, 14, { sender: BOB, state: "lu" }),
        msg(90, 14, { sender: BOB, state: "lu" }),
        msg(102, 16, { state: "recu" }),
      ],
    });
    expect(out.map((e) => [e.event, "id" in e.payload ? e.payload.id : e.payload.messageId])).toEqual([
      ["message_updated", 50],
      ["message_deleted", 60],
      ["receive_message", 101],
      ["message_state_update", 90],
      ["receive_message", 102],
    ]);
    expect(out[3]!.payload).toEqual({ roomId: 7, messageId: 90, state: "lu", version: 14, userId: ANA });
    expect(t.version).toBe(16);
    // The same changes again (an overlapping catch-up) deliver nothing.
    expect(t.catchUp({ version: 16, messages: [msg(101, 13), msg(102, 16, { state: "recu" })] })).toEqual([]);
    // Live events held during the catch-up that it already covered are dropped.
    expect(t.accept({ event: "receive_message", payload: msg(101, 13) })).toBe(false);
  });

  it("does not replay the client's own socket writes", () => {
    const t = tracker();
    t.recordOwn(msg(101, 11, { sender: BOB }));
    expect(t.catchUp({ version: 11, messages: [msg(101, 11, { sender: BOB })] })).toEqual([]);
  });
});
