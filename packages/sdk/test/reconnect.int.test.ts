import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startServer, type TestServer } from "@causette/server/test-harness";

import type { Message, Room } from "../src/index.ts";
import { collect, FlakyNetwork, next, sdkUser, until, type SdkUser } from "./helpers.ts";

let server: TestServer;
let ana: SdkUser;
let bob: SdkUser;
let room: Room;
const network = new FlakyNetwork();

beforeAll(async () => {
  server = await startServer();
  ana = await sdkUser(server.url, "ana");
  // Bob's socket goes through a network the test can cut.
  bob = await sdkUser(server.url, "bob", { WebSocket: network.WebSocket, transports: ["websocket"] });
  room = await ana.chat.rooms.create({ participant: bob.user.id });
  await bob.chat.realtime.connect();
  await bob.chat.realtime.joinRoom(room.id);
});
afterAll(() => server.close());

/** Cuts Bob's network, runs `offline` while he is away, restores it and waits for his catch-up. */
async function whileBobIsAway(offline: () => Promise<void>): Promise<void> {
  const dropped = next(bob.chat, "disconnect");
  network.cut();
  await dropped;
  await offline();
  const synced = next(bob.chat, "synced", (s) => s.roomId === room.id, 15_000);
  network.restore();
  await synced;
}

describe("after a reconnect", () => {
  it("delivers exactly the messages sent while away, once each, in order, before newer live ones", async () => {
    const received = collect(bob.chat, "receive_message");
    const before = await ana.chat.messages.send({ roomId: room.id, message: "before the drop" });
    await until(() => received.length === 1, 5_000, "the live message");
    expect(received[0]).toEqual(before);

    const missed: Message[] = [];
    let live: Promise<Message> | undefined;
    await whileBobIsAway(async () => {
      for (const text of ["missed 1", "missed 2", "missed 3"])
        missed.push(await ana.chat.messages.send({ roomId: room.id, message: text }));
      // A message sent the moment Bob is back reaches his socket while his catch-up is still
      // waiting for its answers (made late on purpose): it must still be delivered after the three.
      network.ackDelay = 400;
      bob.chat.realtime.on("connect", () => {
        live ??= ana.chat.messages.send({ roomId: room.id, message: "live after" });
      });
    });
    network.ackDelay = 0;
    const liveMessage = await live!;
    await until(() => received.length >= 5, 5_000, "the live message after the catch-up");
    // Anything doubled would show up within a moment.
    await new Promise((r) => setTimeout(r, 300));
    expect(received.map((m) => m.message)).toEqual([
      "before the drop",
      "missed 1",
      "missed 2",
      "missed 3",
      "live after",
    ]);
    expect(received.slice(1, 4)).toEqual(missed);
    expect(received[4]).toEqual(liveMessage);
  });

  it("delivers missed edits, deletions and receipts through their own events", async () => {
    const seenLive = collect(bob.chat, "receive_message");
    const mine = await bob.chat.realtime.sendMessage({ roomId: room.id, message: "bob's question" });
    const toEdit = await ana.chat.messages.send({ roomId: room.id, message: "to edit" });
    const toDelete = await ana.chat.messages.send({ roomId: room.id, message: "to delete" });
    await until(() => seenLive.some((m) => m.id === toDelete.id), 5_000, "the live messages");

    const updated = collect(bob.chat, "message_updated");
    const deleted = collect(bob.chat, "message_deleted");
    const receipts = collect(bob.chat, "message_state_update");
    const received = collect(bob.chat, "receive_message");
    await whileBobIsAway(async () => {
      await ana.chat.messages.edit({ id: toEdit.id, message: "edited while away" });
      await ana.chat.messages.delete(toDelete.id);
      await ana.chat.rooms.markRead({ id: room.id, messageId: mine.id });
    });
    expect(updated.map((m) => [m.id, m.message])).toEqual([[toEdit.id, "edited while away"]]);
    expect(deleted.map((m) => m.id)).toEqual([toDelete.id]);
    expect(receipts).toEqual([
      { roomId: room.id, messageId: mine.id, state: "lu", version: expect.any(Number), userId: ana.user.id },
    ]);
    expect(received).toEqual([]);
  });

  it("does not deliver anything twice when nothing was missed", async () => {
    const all = collect(bob.chat, "receive_message");
    await whileBobIsAway(async () => {});
    const live = next(bob.chat, "receive_message");
    await ana.chat.messages.send({ roomId: room.id, message: "still live" });
    await live;
    expect(all.map((m) => m.message)).toEqual(["still live"]);
  });
});
