import { describe, expect, it } from "vitest";

import type { Message } from "@causette/sdk";

import {
  addMessages,
  addPending,
  applyReceipt,
  emptyTimeline,
  failPending,
  lastUnreadFrom,
  rowsOf,
  tickOf,
  type PendingMessage,
} from "./timeline.ts";

const ANA = 1;
const BOB = 2;

function message(id: number, fields: Partial<Message> = {}): Message {
  return {
    id,
    roomId: 7,
    sender: ANA,
    message: `m${id}`,
    state: "ok",
    clientId: null,
    version: id,
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
    ...fields,
  };
}

const pending = (clientId: string): PendingMessage => ({
  clientId,
  roomId: 7,
  sender: ANA,
  message: `typed ${clientId}`,
  createdAt: "2026-01-01T00:00:00.000Z",
  failed: false,
});

describe("the timeline merge", () => {
  it("keeps each message once, in id order, whatever order history and live events come in", () => {
    let t = addMessages(emptyTimeline, [message(3), message(5)]);
    t = addMessages(t, [message(4), message(5)]);
    t = addMessages(t, [message(1), message(2), message(3)]);
    expect(t.messages.map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it("shows a send at once, then replaces it by the stored message its ack carries", () => {
    let t = addPending(emptyTimeline, pending("a"));
    t = addPending(t, pending("b"));
    expect(rowsOf(t).map(tickOf)).toEqual(["sending", "sending"]);
    t = addMessages(t, [message(10, { clientId: "a" })]);
    expect(rowsOf(t).map((r) => r.key)).toEqual(["m10", "pb"]);
    // The live event of the same message (another tab of ours) changes nothing.
    expect(addMessages(t, [message(10, { clientId: "a" })]).messages).toHaveLength(1);
  });

  it("marks a send without an ack as failed, and only that one", () => {
    const t = failPending(addPending(addPending(emptyTimeline, pending("a")), pending("b")), "b");
    expect(rowsOf(t).map(tickOf)).toEqual(["sending", "failed"]);
  });

  it("takes a later version (an edit, a deletion) and never goes back to an earlier one", () => {
    let t = addMessages(emptyTimeline, [message(1, { version: 1 })]);
    t = addMessages(t, [message(1, { version: 3, message: "edited" })]);
    t = addMessages(t, [message(1, { version: 2, message: "stale" })]);
    expect(t.messages[0]?.message).toBe("edited");
  });
});

describe("the ticks", () => {
  it("move a message and every earlier one from the same sender forward, never back", () => {
    let t = addMessages(emptyTimeline, [message(1), message(2, { sender: BOB }), message(3), message(4)]);
    t = applyReceipt(t, { messageId: 3, state: "recu" });
    expect(t.messages.map((m) => m.state)).toEqual(["recu", "ok", "recu", "ok"]);
    t = applyReceipt(t, { messageId: 1, state: "lu" });
    t = applyReceipt(t, { messageId: 3, state: "recu" });
    expect(t.messages.map((m) => m.state)).toEqual(["lu", "ok", "recu", "ok"]);
    expect(rowsOf(t).map(tickOf)).toEqual(["lu", "ok", "recu", "ok"]);
  });

  it("keep a receipt that came before a later copy of the message", () => {
    let t = addMessages(emptyTimeline, [message(1, { version: 1 })]);
    t = applyReceipt(t, { messageId: 1, state: "lu" });
    t = addMessages(t, [message(1, { version: 2, state: "ok", message: "edited" })]);
    expect(t.messages[0]).toMatchObject({ state: "lu", message: "edited" });
  });

  it("ignore a receipt for a message not loaded", () => {
    const t = addMessages(emptyTimeline, [message(1)]);
    expect(applyReceipt(t, { messageId: 9, state: "lu" })).toBe(t);
  });

  it("name the newest message from the others still unread", () => {
    const t = addMessages(emptyTimeline, [
      message(1, { sender: BOB }),
      message(2, { sender: BOB }),
      message(3, { sender: ANA }),
    ]);
    expect(lastUnreadFrom(t, ANA)?.id).toBe(2);
    expect(lastUnreadFrom(applyReceipt(t, { messageId: 2, state: "lu" }), ANA)).toBeUndefined();
  });
});
