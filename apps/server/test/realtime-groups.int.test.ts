import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Message } from "@causette/contracts";

import { createGroup, groupCast, send } from "./chat.ts";
import {
  connectSocket,
  env,
  nextEvent,
  signUp,
  startServer,
  useTwoNodes,
  type TestServer,
  type TestUser,
} from "./harness.ts";
import { call, expectSilence, joined, record } from "./realtime-helpers.ts";

let server: TestServer;
let owner: TestUser;
let ana: TestUser;
let bob: TestUser;
let cid: TestUser;

beforeAll(async () => {
  server = await startServer();
  ({ owner, ana, bob, cid } = await groupCast(server));
});
afterAll(() => server.close());

const group = (members: TestUser[], by = owner) => createGroup(by, members);

describe("group events", () => {
  it("room_created reaches every member's own sockets with their role", async () => {
    const [o, a] = await Promise.all([connectSocket(server.url, owner.token), connectSocket(server.url, ana.token)]);
    const [forOwner, forAna] = [nextEvent(o, "room_created"), nextEvent(a, "room_created")];
    const room = await group([ana]);
    expect(await forOwner).toMatchObject({ id: room.id, kind: "group", role: "owner" });
    expect(await forAna).toMatchObject({ id: room.id, kind: "group", role: "member" });
  });

  it("member_joined, room_updated and member_left carry the room's next versions, to the room and the member", async () => {
    const room = await group([ana]);
    const watcher = await joined(server.url, ana, room.id);
    const bobOwn = await connectSocket(server.url, bob.token);
    const joinedEvents = record(watcher, "member_joined");
    const bobJoined = nextEvent(bobOwn, "member_joined");
    await owner.api.post(`/api/room/${room.id}/members`, { userIds: [bob.user.id] });
    expect(await bobJoined).toEqual({ roomId: room.id, user: bob.user, role: "member", version: 1 });
    const updated = nextEvent(watcher, "room_updated");
    await owner.api.patch(`/api/room/${room.id}`, { topic: "new topic" });
    expect(await updated).toEqual({
      version: 2,
      room: {
        id: room.id,
        kind: "group",
        name: "Crew",
        topic: "new topic",
        visibility: "private",
        memberCount: 3,
        createdAt: room.createdAt,
      },
    });
    const promoted = nextEvent(watcher, "member_joined");
    await owner.api.patch(`/api/room/${room.id}/members/${bob.user.id}`, { role: "admin" });
    expect(await promoted).toMatchObject({ user: { id: bob.user.id }, role: "admin", version: 3 });
    const left = nextEvent(watcher, "member_left");
    const bobLeft = nextEvent(bobOwn, "member_left");
    await bob.api.delete(`/api/room/${room.id}/members/${bob.user.id}`);
    const event = { roomId: room.id, userId: bob.user.id, reason: "left", version: 4 };
    expect(await left).toEqual(event);
    expect(await bobLeft).toEqual(event);
    expect(joinedEvents[0]).toMatchObject({ version: 1 });
  });

  it("read_marker on every read; message_state_update only when the message's state moves", async () => {
    const room = await group([ana, bob]);
    const o = await joined(server.url, owner, room.id);
    const m = await send(owner, room.id, "read by all?");
    const markers = record(o, "read_marker");
    const states = record(o, "message_state_update");
    const first = nextEvent(o, "read_marker");
    await ana.api.post(`/api/room/${room.id}/read`, { messageId: m.id });
    expect(await first).toEqual({ roomId: room.id, userId: ana.user.id, lastReadId: m.id, version: m.version });
    await expectSilence(o, "message_state_update");
    const moved = nextEvent(o, "message_state_update");
    await bob.api.patch(`/api/chat/${m.id}/state`, { state: "lu" });
    expect(await moved).toEqual({
      roomId: room.id,
      messageId: m.id,
      state: "lu",
      version: m.version + 1,
      userId: bob.user.id,
    });
    expect(markers.map((x) => x.userId)).toEqual([ana.user.id, bob.user.id]);
    expect(states).toHaveLength(1);
  });
});

describe("a removed member", () => {
  it("is out of the room's channel before the removal answers, and can no longer join or write", async () => {
    const room = await group([ana, cid]);
    const gone = await joined(server.url, cid, room.id);
    const told = nextEvent(gone, "member_left");
    const res = await owner.api.delete(`/api/room/${room.id}/members/${cid.user.id}`);
    expect(res.status).toBe(200);
    expect(await told).toMatchObject({ userId: cid.user.id, reason: "removed" });
    await send(owner, room.id, "after the removal");
    await expectSilence(gone, "receive_message");
    for (const [event, payload] of [
      ["join_room", room.id],
      ["send_message", { roomId: room.id, message: "let me in" }],
      ["sync", { roomId: room.id, since: 0 }],
      ["typing", { roomId: room.id, isTyping: true }],
    ] as const) {
      const ack = await call(gone, event, payload);
      expect(ack, event).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    }
  });
});

describe("socket events by role", () => {
  it("members use the room; a removed member and an outsider get NOT_FOUND for every room event", async () => {
    const outsider = await signUp(server.url, "outsider");
    const room = await group([ana, bob, cid]);
    await owner.api.patch(`/api/room/${room.id}/members/${ana.user.id}`, { role: "admin" });
    await owner.api.delete(`/api/room/${room.id}/members/${cid.user.id}`);
    const m = await send(bob, room.id, "from bob");
    const roles: Array<[string, TestUser, boolean]> = [
      ["owner", owner, true],
      ["admin", ana, true],
      ["removed", cid, false],
      ["outsider", outsider, false],
    ];
    for (const [role, user, allowed] of roles) {
      const socket = await connectSocket(server.url, user.token);
      const events = [
        ["join_room", room.id],
        ["send_message", { roomId: room.id, message: `from ${role}` }],
        ["message_state", { roomId: room.id, messageId: m.id, state: "recu" }],
        ["typing", { roomId: room.id, isTyping: false }],
        ["sync", { roomId: room.id, since: 0 }],
      ] as const;
      for (const [event, payload] of events) {
        const ack = await call(socket, event, payload);
        if (allowed) expect(ack.ok, `${role} ${event} ${JSON.stringify(ack)}`).toBe(true);
        else expect(ack, `${role} ${event}`).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
      }
    }
    // The plain member too, and only the members' messages were stored.
    const member = await connectSocket(server.url, bob.token);
    expect((await call(member, "join_room", room.id)).ok).toBe(true);
    const history = (await owner.api.get<Message[]>(`/api/chat/${room.id}`)).body.map((x) => x.message);
    expect(history).toEqual(["from bob", "from owner", "from admin"]);
  });
});

describe.skipIf(!env.redisUrl)("removal across two nodes", () => {
  const nodes = useTwoNodes();

  it("a member removed on node 1 is out of the room on node 2 before the answer, every tab of them", async () => {
    const [o, a, b] = await Promise.all(["o", "a", "b"].map((n) => signUp(nodes.node1.url, n)));
    const room = await group([a!, b!], o);
    const stay = await joined(nodes.node2.url, a!, room.id);
    const tabs = await Promise.all([joined(nodes.node2.url, b!, room.id), joined(nodes.node1.url, b!, room.id)]);
    for (let round = 0; round < 3; round += 1) {
      if (round > 0) await o!.api.post(`/api/room/${room.id}/members`, { userIds: [b!.user.id] });
      for (const tab of tabs) if (round > 0) expect((await call(tab, "join_room", room.id)).ok).toBe(true);
      expect((await o!.api.delete(`/api/room/${room.id}/members/${b!.user.id}`)).status).toBe(200);
      const reached = nextEvent(stay, "receive_message");
      const silent = tabs.map((tab) => expectSilence(tab, "receive_message", 500));
      await send(o!, room.id, `after removal ${round}`);
      expect((await reached).message).toBe(`after removal ${round}`);
      await Promise.all(silent);
    }
  });
});
