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

  it("replays a reaction, a reply to a root and a new message changed after a newer one as a live client saw them", () => {
    const t = new RoomTracker(7, { version: 10, maxMessageId: 100, participants: [ANA, BOB], self: BOB });
    t.accept({ event: "receive_message", payload: msg(100, 10) });
    const out = t.catchUp({
      version: 15,
      messages: [
        msg(102, 12),
        // Created at 11, reacted to at 13 by this client's user: new, with `me`.
        msg(101, 13, { reactions: [{ emoji: "👍", count: 1, me: true }] }),
        // A root whose reply (103) came at 15: updated, not a receipt.
        msg(100, 15, { replyCount: 1, lastReplyAt: "2026-01-01T00:03:00.000Z" }),
        msg(103, 15, { parentId: 100 }),
      ],
    });
    expect(out.map((e) => [e.event, "id" in e.payload ? e.payload.id : e.payload.messageId])).toEqual([
      ["receive_message", 102],
      ["receive_message", 101],
      ["message_updated", 100],
      ["receive_message", 103],
    ]);
    // A live broadcast carries `me` false: the tracker sets this client's own.
    const live = {
      event: "message_updated" as const,
      payload: msg(101, 16, { reactions: [{ emoji: "👍", count: 2, me: false }] }),
    };
    expect(t.accept(live)).toBe(true);
    expect(live.payload.reactions).toEqual([{ emoji: "👍", count: 2, me: true }]);
    const removed = { roomId: 7, messageId: 101, emoji: "👍", userId: BOB, version: 17, count: 1 };
    expect(t.accept({ event: "reaction_removed", payload: removed })).toBe(true);
    expect(t.accept({ event: "reaction_removed", payload: removed })).toBe(false);
    const later = {
      event: "message_updated" as const,
      payload: msg(101, 18, { reactions: [{ emoji: "👍", count: 1, me: false }] }),
    };
    t.accept(later);
    expect(later.payload.reactions).toEqual([{ emoji: "👍", count: 1, me: false }]);
  });

  it("learns its user's reactions from what the API answered, without swallowing the live event", () => {
    const t = new RoomTracker(7, { version: 10, maxMessageId: 100, participants: [ANA, BOB], self: BOB });
    // History read after joining: Bob had reacted with 🎉 before.
    t.learn(msg(90, 9, { reactions: [{ emoji: "🎉", count: 1, me: true }] }));
    const reply = {
      event: "message_updated" as const,
      payload: msg(90, 11, { replyCount: 1, reactions: [{ emoji: "🎉", count: 1, me: false }] }),
    };
    expect(t.accept(reply)).toBe(true);
    expect(reply.payload.reactions).toEqual([{ emoji: "🎉", count: 1, me: true }]);
    // Bob's own reaction through the API answers before its broadcast: the broadcast still comes.
    t.learn(msg(90, 12, { replyCount: 1, reactions: [{ emoji: "🎉", count: 2, me: true }] }));
    const added = { roomId: 7, messageId: 90, emoji: "🎉", userId: ANA, version: 12, count: 2 };
    expect(t.accept({ event: "reaction_added", payload: added })).toBe(true);
    // An older answer read late does not undo what is known.
    t.learn(msg(90, 9, { reactions: [{ emoji: "🎉", count: 1, me: false }] }));
    const edited = {
      event: "message_updated" as const,
      payload: msg(90, 13, { replyCount: 1, reactions: [{ emoji: "🎉", count: 2, me: false }] }),
    };
    t.accept(edited);
    expect(edited.payload.reactions[0]!.me).toBe(true);
  });

  it("delivers as new a missed message whose later reaction reached it live", () => {
    const t = tracker();
    // 101 was created at 11 while this socket missed it; a reaction to it at 12 arrived.
    expect(
      t.accept({
        event: "reaction_added",
        payload: { roomId: 7, messageId: 101, emoji: "👍", userId: ANA, version: 12, count: 1 },
      }),
    ).toBe(true);
    const out = t.catchUp({
      version: 12,
      messages: [msg(101, 12, { reactions: [{ emoji: "👍", count: 1, me: false }] })],
    });
    expect(out.map((e) => e.event)).toEqual(["receive_message"]);
    expect(t.catchUp({ version: 12, messages: [msg(101, 12)] })).toEqual([]);
  });

  it("replays one receipt per sender when a read moved several senders' messages", () => {
    const t = tracker();
    const out = t.catchUp({
      version: 11,
      messages: [msg(95, 11, { state: "lu" }), msg(97, 11, { state: "lu", sender: 3 }), msg(96, 11, { state: "lu" })],
    });
    expect(out.map((e) => e.event === "message_state_update" && e.payload.messageId)).toEqual([96, 97]);
  });

  it("does not replay the client's own socket writes", () => {
    const t = tracker();
    t.recordOwn(msg(101, 11, { sender: BOB }));
    expect(t.catchUp({ version: 11, messages: [msg(101, 11, { sender: BOB })] })).toEqual([]);
  });
});
