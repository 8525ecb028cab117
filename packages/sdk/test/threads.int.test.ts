import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { TestServer } from "@causette/server/test-harness";

import { ChatError, type Room } from "../src/index.ts";
import { collect, next, sdkUser, twoInARoom, until, type SdkUser } from "./helpers.ts";

let server: TestServer;
let ana: SdkUser;
let bob: SdkUser;
let room: Room;

beforeAll(async () => {
  ({ server, ana, bob, room } = await twoInARoom());
  for (const user of [ana, bob]) {
    await user.chat.realtime.connect();
    await user.chat.realtime.joinRoom(room.id);
  }
});
afterAll(() => server.close());

describe("threads, quotes, reactions and mentions through the SDK", () => {
  it("replies in a thread over HTTP and over the socket, and reads the thread apart from the history", async () => {
    const root = await ana.chat.messages.send({ roomId: room.id, message: "lunch?" });
    const rootUpdated = next(ana.chat, "message_updated", (m) => m.id === root.id && m.replyCount === 2);
    const first = await bob.chat.messages.send({ roomId: room.id, message: "yes", parentId: root.id });
    const second = await bob.chat.realtime.sendMessage({ roomId: room.id, message: "at noon", parentId: root.id });
    expect(second).toMatchObject({ parentId: root.id });
    expect((await rootUpdated).lastReplyAt).toBe(second.createdAt);

    expect((await ana.chat.messages.thread({ id: root.id })).map((m) => m.id)).toEqual([first.id, second.id]);
    expect((await ana.chat.messages.thread({ id: root.id, after: first.id })).map((m) => m.id)).toEqual([second.id]);
    const history = (await ana.chat.messages.list({ roomId: room.id })).map((m) => m.id);
    expect(history).toContain(root.id);
    expect(history).not.toContain(first.id);

    const quote = await ana.chat.messages.send({ roomId: room.id, message: "noted", quotedId: second.id });
    expect(quote.quoted).toMatchObject({ id: second.id, sender: bob.user.id, excerpt: "at noon" });

    const refused = await bob.chat.messages
      .send({ roomId: room.id, message: "x", parentId: first.id })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChatError);
    expect(refused).toMatchObject({ code: "BAD_REQUEST", status: 400, issues: [{ path: "parentId" }] });
  });

  it("reacts and unreacts; each client sees its own reactions as `me` on live messages", async () => {
    const m = await ana.chat.messages.send({ roomId: room.id, message: "ship it" });
    const anaReactions = collect(ana.chat, "reaction_added");
    expect(await bob.chat.messages.react({ id: m.id, emoji: "🚀" })).toMatchObject({
      reactions: [{ emoji: "🚀", count: 1, me: true }],
    });
    // A second add is a no-op.
    expect((await bob.chat.messages.react({ id: m.id, emoji: "🚀" })).reactions).toEqual([
      { emoji: "🚀", count: 1, me: true },
    ]);
    await until(() => anaReactions.length === 1, 5_000, "reaction_added");
    expect(anaReactions[0]).toMatchObject({ messageId: m.id, emoji: "🚀", userId: bob.user.id, count: 1 });

    // A later change to the message broadcasts it with `me` false for all: each SDK marks its own.
    const bobSees = next(bob.chat, "message_updated", (u) => u.id === m.id);
    const anaSees = next(ana.chat, "message_updated", (u) => u.id === m.id);
    await ana.chat.messages.edit({ id: m.id, message: "ship it now" });
    expect((await bobSees).reactions).toEqual([{ emoji: "🚀", count: 1, me: true }]);
    expect((await anaSees).reactions).toEqual([{ emoji: "🚀", count: 1, me: false }]);

    const removed = next(ana.chat, "reaction_removed", (r) => r.messageId === m.id);
    expect((await bob.chat.messages.unreact({ id: m.id, emoji: "🚀" })).reactions).toEqual([]);
    expect(await removed).toMatchObject({ emoji: "🚀", userId: bob.user.id, count: 0 });

    const bad = await bob.chat.messages.react({ id: m.id, emoji: "two words" }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: "BAD_REQUEST", status: 400, issues: [{ path: "emoji" }] });
  });

  it("tells a mentioned user on their private channel, without joining the room", async () => {
    const carol = await sdkUser(server.url, "carol");
    const group = await ana.chat.rooms.createGroup({ name: "Mentions", participants: [carol.user.id] });
    await carol.chat.realtime.connect();
    const mention = next(carol.chat, "mention", (e) => e.roomId === group.id);
    const sent = await ana.chat.messages.send({ roomId: group.id, message: `hi @${carol.user.username}` });
    expect(sent.mentions).toEqual([carol.user.id]);
    expect((await mention).message).toMatchObject({ id: sent.id, mentions: [carol.user.id] });
    expect((await carol.chat.rooms.get(group.id)).mentions).toBe(1);
  });
});
