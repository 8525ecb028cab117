import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startServer, type TestServer } from "@causette/server/test-harness";

import { ChatError } from "../src/index.ts";
import { collect, FlakyNetwork, next, sdkUser, type SdkUser } from "./helpers.ts";

let server: TestServer;
let owner: SdkUser;
let ana: SdkUser;
let bob: SdkUser;

beforeAll(async () => {
  server = await startServer();
  [owner, ana, bob] = await Promise.all([
    sdkUser(server.url, "owner"),
    sdkUser(server.url, "ana"),
    sdkUser(server.url, "bob"),
  ]);
});
afterAll(() => server.close());

describe("groups through the SDK", () => {
  it("creates, reads, updates, manages members, discovers and joins", async () => {
    const room = await owner.chat.rooms.createGroup({ name: "SDK crew", participants: [ana.user.id] });
    expect(room).toMatchObject({ kind: "group", name: "SDK crew", role: "owner", memberCount: 2 });
    expect(await ana.chat.rooms.get(room.id)).toMatchObject({ id: room.id, role: "member" });
    expect((await owner.chat.rooms.list({ limit: 1 })).map((r) => r.id)).toEqual([room.id]);

    const updated = await owner.chat.rooms.update({ id: room.id, topic: "typed", visibility: "public" });
    expect(updated).toMatchObject({ topic: "typed", visibility: "public" });
    expect((await bob.chat.rooms.discover({ search: "sdk" })).map((r) => r.id)).toContain(room.id);
    expect(await bob.chat.rooms.join(room.id)).toMatchObject({ id: room.id, role: "member", memberCount: 3 });

    await owner.chat.rooms.members.setRole({ id: room.id, userId: ana.user.id, role: "admin" });
    const members = await ana.chat.rooms.members.list({ id: room.id });
    expect(members.map((m) => [m.user.id, m.role]).sort()).toEqual(
      [
        [owner.user.id, "owner"],
        [ana.user.id, "admin"],
        [bob.user.id, "member"],
      ].sort(),
    );

    const m = await ana.chat.messages.send({ roomId: room.id, message: "who read this?" });
    await bob.chat.rooms.markRead({ id: room.id, messageId: m.id });
    expect(await ana.chat.messages.receipts(m.id)).toEqual(
      [
        { userId: owner.user.id, state: "ok" },
        { userId: bob.user.id, state: "lu" },
      ].sort((x, y) => x.userId - y.userId),
    );

    await ana.chat.rooms.members.remove({ id: room.id, userId: bob.user.id });
    const refused = await bob.chat.rooms.get(room.id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChatError);
    expect(refused).toMatchObject({ code: "NOT_FOUND", status: 404 });
    expect(await owner.chat.rooms.members.add({ id: room.id, userIds: [bob.user.id] })).toHaveLength(1);
    const setRole = await ana.chat.rooms.members
      .setRole({ id: room.id, userId: bob.user.id, role: "admin" })
      .catch((e: unknown) => e);
    expect(setRole).toMatchObject({ code: "FORBIDDEN", status: 403 });
  });

  it("keeps a joined room in sync through membership changes; a removed member's SDK stops the room and says so", async () => {
    const room = await owner.chat.rooms.createGroup({ name: "Live", participants: [ana.user.id, bob.user.id] });
    await Promise.all([owner, ana, bob].map((u) => u.chat.realtime.connect()));
    await Promise.all([owner, ana, bob].map((u) => u.chat.realtime.joinRoom(room.id)));
    const anaLeft = collect(ana.chat, "member_left");
    const removed = next(bob.chat, "room_removed");
    const joinedAgain = next(bob.chat, "member_joined", (e) => e.user.id === bob.user.id);

    await owner.chat.rooms.members.remove({ id: room.id, userId: bob.user.id });
    expect(await removed).toEqual({ roomId: room.id, reason: "removed" });
    const bobMessages = collect(bob.chat, "receive_message");
    const seenByAna = next(ana.chat, "receive_message");
    await owner.chat.messages.send({ roomId: room.id, message: "bob is gone" });
    expect((await seenByAna).message).toBe("bob is gone");
    expect(bobMessages).toEqual([]);
    expect(anaLeft).toEqual([{ roomId: room.id, userId: bob.user.id, reason: "removed", version: 1 }]);

    // Added back: bob's own channel hears it, and the app may follow the room again.
    await owner.chat.rooms.members.add({ id: room.id, userIds: [bob.user.id] });
    expect(await joinedAgain).toMatchObject({ roomId: room.id, role: "member" });
    await bob.chat.realtime.joinRoom(room.id);
    const back = next(bob.chat, "receive_message");
    await owner.chat.messages.send({ roomId: room.id, message: "welcome back" });
    expect((await back).message).toBe("welcome back");

    const updated = next(ana.chat, "room_updated");
    await owner.chat.rooms.update({ id: room.id, name: "Live 2" });
    expect((await updated).room.name).toBe("Live 2");

    const leaving = next(ana.chat, "room_removed");
    await ana.chat.rooms.leave(room.id);
    expect(await leaving).toEqual({ roomId: room.id, reason: "left" });
  });

  it("after a reconnect, membership changes missed while away arrive as events, and a room lost meanwhile is dropped", async () => {
    const network = new FlakyNetwork();
    const away = await sdkUser(server.url, "away", { WebSocket: network.WebSocket, transports: ["websocket"] });
    const kept = await owner.chat.rooms.createGroup({ name: "Kept", participants: [away.user.id] });
    const lost = await owner.chat.rooms.createGroup({ name: "Lost", participants: [away.user.id] });
    await away.chat.realtime.connect();
    await away.chat.realtime.joinRoom(kept.id);
    await away.chat.realtime.joinRoom(lost.id);

    const dropped = next(away.chat, "disconnect");
    network.cut();
    await dropped;
    await owner.chat.rooms.members.add({ id: kept.id, userIds: [ana.user.id] });
    await owner.chat.rooms.members.remove({ id: lost.id, userId: away.user.id });
    const joinedMeanwhile = next(away.chat, "member_joined", (e) => e.roomId === kept.id, 15_000);
    const removed = next(away.chat, "room_removed", (e) => e.roomId === lost.id, 15_000);
    network.restore();
    expect(await joinedMeanwhile).toMatchObject({ user: { id: ana.user.id }, role: "member", version: 1 });
    expect(await removed).toEqual({ roomId: lost.id, reason: "removed" });
  });
});
