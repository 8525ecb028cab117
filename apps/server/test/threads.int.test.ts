import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Changes, Message, Room } from "@causette/contracts";

import type { AppRouter } from "../src/trpc/routers/_app.ts";
import { insertUsers, send } from "./chat.ts";
import {
  connectSocket,
  nextEvent,
  signUp,
  startServer,
  trpcClient,
  TRPCClientError,
  type TestServer,
  type TestUser,
} from "./harness.ts";
import { call, eventually, expectSilence, joined, record } from "./realtime-helpers.ts";

let server: TestServer;
let owner: TestUser;
let ana: TestUser;
let bob: TestUser;
let outsider: TestUser;
/** A group of owner, ana and bob; ana is an admin. */
let team: Room;
/** Another group of the same three, for references across rooms. */
let other: Room;

beforeAll(async () => {
  server = await startServer();
  [owner, ana, bob, outsider] = await Promise.all([
    signUp(server.url, "owner"),
    signUp(server.url, "ana"),
    signUp(server.url, "bob"),
    signUp(server.url, "outsider"),
  ]);
  team = await group(owner, [ana, bob]);
  other = await group(owner, [ana, bob]);
  await owner.api.patch(`/api/room/${team.id}/members/${ana.user.id}`, { role: "admin" });
});
afterAll(() => server.close());

async function group(by: TestUser, members: TestUser[], extraIds: number[] = []): Promise<Room> {
  const res = await by.api.post<Room>("/api/room/", {
    name: "Team",
    participants: [...members.map((m) => m.user.id), ...extraIds],
  });
  if (res.status !== 201) throw new Error(`group create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A send whose answer may be an error body. */
async function sendWith(user: TestUser, body: Record<string, unknown>) {
  return user.api.post("/api/chat/", body);
}

const history = async (user: TestUser, roomId: number) =>
  (await user.api.get<Message[]>(`/api/chat/${roomId}?limit=200`)).body;
const one = async (user: TestUser, m: Message) =>
  (await user.api.get<Message[]>(`/api/chat/search?q=${encodeURIComponent(m.message)}&roomId=${m.roomId}`)).body;
const roomOf = async (user: TestUser, id: number) => (await user.api.get<Room>(`/api/room/${id}`)).body;
const changes = async (user: TestUser, roomId: number, since: number) =>
  (await user.api.get<Changes>(`/api/room/${roomId}/changes?since=${since}`)).body;
/** The message as `user` sees it now (through catch-up from version 0). */
const current = async (user: TestUser, m: Message) =>
  (await changes(user, m.roomId, 0)).messages.find((x) => x.id === m.id)!;

describe("quote replies", () => {
  it("carries the quoted message's sender and first 200 characters, and shows a deleted original as deleted", async () => {
    const long = `${"a".repeat(199)}é and more`;
    const original = await send(bob, team.id, long);
    const res = await sendWith(ana, { roomId: team.id, message: "agreed", quotedId: original.id });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      quotedId: original.id,
      parentId: null,
      quoted: { id: original.id, sender: bob.user.id, excerpt: `${"a".repeat(199)}é`, deleted: false },
    });

    const socket = await joined(server.url, owner, team.id);
    const updated = nextEvent(socket, "message_updated");
    const deleted = await bob.api.delete<Message>(`/api/chat/${original.id}`);
    expect(deleted.status).toBe(200);
    const quote = await updated;
    expect(quote).toMatchObject({
      id: res.body.id,
      version: deleted.body.version,
      quoted: { id: original.id, sender: bob.user.id, excerpt: "", deleted: true },
    });
    // Catch-up from before the deletion brings the quote back too.
    const missed = await changes(owner, team.id, deleted.body.version - 1);
    expect(missed.messages.map((m) => m.id).sort()).toEqual([original.id, res.body.id].sort());
    expect((await current(owner, res.body)).quoted).toEqual(quote.quoted);
  });

  it("refuses a quoted message of another room or none with 400 naming quotedId", async () => {
    const elsewhere = await send(bob, other.id, "elsewhere");
    for (const quotedId of [elsewhere.id, 999_999_999]) {
      const res = await sendWith(ana, { roomId: team.id, message: "x", quotedId });
      expect(res.status).toBe(400);
      expect(res.body.error.issues).toEqual([{ path: "quotedId", message: expect.any(String) }]);
    }
  });

  it("answers 404 to an outsider quoting or replying in the room, before looking at the message", async () => {
    const m = await send(bob, team.id, "inside");
    for (const extra of [{ quotedId: m.id }, { parentId: m.id }, { parentId: 999_999_999 }]) {
      const res = await sendWith(outsider, { roomId: team.id, message: "x", ...extra });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
  });
});

describe("threads", () => {
  it("keeps replies out of the main history and in the thread, with the root's count and last reply", async () => {
    const root = await send(owner, team.id, "thread root");
    const socket = await joined(server.url, bob, team.id);
    const received = record(socket, "receive_message");
    const updates = record(socket, "message_updated");

    const replies: Message[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await sendWith(i % 2 ? ana : bob, { roomId: team.id, message: `reply ${i}`, parentId: root.id });
      expect(res.status).toBe(201);
      expect(res.body.parentId).toBe(root.id);
      replies.push(res.body);
    }
    const main = await history(owner, team.id);
    expect(main.map((m) => m.id)).toContain(root.id);
    expect(main.some((m) => m.parentId !== null)).toBe(false);

    const thread = await owner.api.get<Message[]>(`/api/chat/${root.id}/thread`);
    expect(thread.status).toBe(200);
    expect(thread.body.map((m) => m.id)).toEqual(replies.map((r) => r.id));
    // Keyset paging, as for the history.
    const page = (await owner.api.get<Message[]>(`/api/chat/${root.id}/thread?limit=2&before=${replies[4]!.id}`)).body;
    expect(page.map((m) => m.id)).toEqual([replies[2]!.id, replies[3]!.id]);
    const after = (await owner.api.get<Message[]>(`/api/chat/${root.id}/thread?limit=2&after=${replies[0]!.id}`)).body;
    expect(after.map((m) => m.id)).toEqual([replies[1]!.id, replies[2]!.id]);

    const rootNow = main.find((m) => m.id === root.id)!;
    expect(rootNow).toMatchObject({ replyCount: 5, lastReplyAt: replies[4]!.createdAt, version: replies[4]!.version });

    // Bob's socket: every reply (his own from REST too), and the root after each of them.
    await eventually(() => {
      expect(received.filter((m) => m.parentId === root.id).map((m) => m.id)).toEqual(replies.map((r) => r.id));
      expect(updates.filter((m) => m.id === root.id).map((m) => m.replyCount)).toEqual([1, 2, 3, 4, 5]);
    });
    expect(updates.filter((m) => m.id === root.id).map((m) => m.version)).toEqual(replies.map((r) => r.version));

    // Catch-up and search see the replies.
    const missed = await changes(ana, team.id, root.version);
    expect(missed.messages.map((m) => m.id)).toEqual(expect.arrayContaining([...replies.map((r) => r.id), root.id]));
    expect((await one(ana, replies[3]!)).map((m) => m.id)).toEqual([replies[3]!.id]);

    // Deleting a reply counts one less.
    await ana.api.delete(`/api/chat/${replies[1]!.id}`);
    expect((await current(owner, root)).replyCount).toBe(4);
  });

  it("refuses a reply to a reply, and a parent of another room, with 400 naming parentId", async () => {
    const root = await send(owner, team.id, "root");
    const reply = (await sendWith(bob, { roomId: team.id, message: "reply", parentId: root.id })).body;
    const elsewhere = await send(bob, other.id, "elsewhere");
    for (const parentId of [reply.id, elsewhere.id, 999_999_999]) {
      const res = await sendWith(ana, { roomId: team.id, message: "nested", parentId });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.issues).toEqual([{ path: "parentId", message: expect.any(String) }]);
    }
    const nested = await owner.api.get(`/api/chat/${reply.id}/thread`);
    expect(nested.status).toBe(400);
    expect(nested.body.error.issues[0].path).toBe("id");
    expect((await current(owner, root)).replyCount).toBe(1);
  });

  it("takes replies and quotes over socket.io and tRPC too", async () => {
    const root = await send(owner, team.id, "root over sockets");
    const socket = await joined(server.url, ana, team.id);
    const ack = await call(socket, "send_message", {
      roomId: team.id,
      message: "socket reply",
      parentId: root.id,
      quotedId: root.id,
    });
    if (!ack.ok) throw new Error(JSON.stringify(ack.error));
    expect(ack.data).toMatchObject({ parentId: root.id, quoted: { id: root.id, excerpt: "root over sockets" } });
    const refused = await call(socket, "send_message", { roomId: team.id, message: "x", parentId: ack.data.id });
    expect(refused).toMatchObject({ ok: false, error: { code: "BAD_REQUEST", issues: [{ path: "parentId" }] } });

    const trpc = trpcClient(server.url, bob.token);
    const viaTrpc = await trpc.message.send.mutate({ roomId: team.id, message: "trpc reply", parentId: root.id });
    expect(viaTrpc.parentId).toBe(root.id);
    const thread = await trpc.message.thread.query({ id: root.id });
    expect(thread.map((m) => m.message)).toEqual(["socket reply", "trpc reply"]);
  });
});

describe("reactions", () => {
  it("adds and removes the caller's reaction, with counts for all and `me` for the caller", async () => {
    const m = await send(owner, team.id, "react to me");
    const socket = await joined(server.url, owner, team.id);
    const added = record(socket, "reaction_added");
    const removed = record(socket, "reaction_removed");

    const first = await ana.api.post<Message>(`/api/chat/${m.id}/reactions`, { emoji: "👍" });
    expect(first.status).toBe(200);
    expect(first.body.reactions).toEqual([{ emoji: "👍", count: 1, me: true }]);
    expect(first.body.version).toBe(m.version + 1);
    const second = await bob.api.post<Message>(`/api/chat/${m.id}/reactions`, { emoji: "👍" });
    expect(second.body.reactions).toEqual([{ emoji: "👍", count: 2, me: true }]);
    const party = await bob.api.post<Message>(`/api/chat/${m.id}/reactions`, { emoji: ":tada:" });
    expect(party.body.reactions).toEqual([
      { emoji: "👍", count: 2, me: true },
      { emoji: ":tada:", count: 1, me: true },
    ]);
    // A second add changes nothing, not even the version.
    const again = await ana.api.post<Message>(`/api/chat/${m.id}/reactions`, { emoji: "👍" });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(party.body.version);
    expect((await current(owner, m)).reactions).toEqual([
      { emoji: "👍", count: 2, me: false },
      { emoji: ":tada:", count: 1, me: false },
    ]);

    const off = await ana.api.delete<Message>(`/api/chat/${m.id}/reactions/${encodeURIComponent("👍")}`);
    expect(off.status).toBe(200);
    expect(off.body.reactions).toEqual([
      { emoji: "👍", count: 1, me: false },
      { emoji: ":tada:", count: 1, me: false },
    ]);
    const noop = await ana.api.delete<Message>(`/api/chat/${m.id}/reactions/${encodeURIComponent("👍")}`);
    expect(noop.body.version).toBe(off.body.version);

    await eventually(() => {
      expect(added).toEqual([
        { roomId: team.id, messageId: m.id, emoji: "👍", userId: ana.user.id, version: first.body.version, count: 1 },
        { roomId: team.id, messageId: m.id, emoji: "👍", userId: bob.user.id, version: second.body.version, count: 2 },
        {
          roomId: team.id,
          messageId: m.id,
          emoji: ":tada:",
          userId: bob.user.id,
          version: party.body.version,
          count: 1,
        },
      ]);
      expect(removed).toEqual([
        { roomId: team.id, messageId: m.id, emoji: "👍", userId: ana.user.id, version: off.body.version, count: 1 },
      ]);
    });
    // The changes come back in catch-up, each at its version.
    const missed = await changes(bob, team.id, m.version);
    expect(missed.messages.find((x) => x.id === m.id)?.reactions).toEqual([
      { emoji: "👍", count: 1, me: true },
      { emoji: ":tada:", count: 1, me: true },
    ]);
    expect(missed.version).toBe(off.body.version);
  });

  it("refuses what is not one emoji or a :short_name: with 400 naming emoji", async () => {
    const m = await send(owner, team.id, "bad emoji");
    for (const emoji of ["ab", "👍👍", "", ":a b:", `:${"x".repeat(31)}:`, "👍a", 42]) {
      const res = await ana.api.post(`/api/chat/${m.id}/reactions`, { emoji });
      expect(res.status, String(emoji)).toBe(400);
      expect(res.body.error.issues[0].path).toBe("emoji");
    }
    for (const emoji of ["👨‍👩‍👧", "🇫🇷", "👍🏽", "❤️", ":+1:", `:${"x".repeat(30)}:`]) {
      const res = await ana.api.post(`/api/chat/${m.id}/reactions`, { emoji });
      expect(res.status, emoji).toBe(200);
    }
    const bad = await ana.api.delete(`/api/chat/${m.id}/reactions/nope`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe("emoji");
  });

  it("holds at most 50 distinct emoji: the 51st is a 400, more of an existing one is fine", async () => {
    const m = await send(owner, team.id, "many emoji");
    for (let i = 0; i < 50; i += 1) {
      const res = await ana.api.post(`/api/chat/${m.id}/reactions`, { emoji: `:e${i}:` });
      expect(res.status).toBe(200);
    }
    const over = await ana.api.post(`/api/chat/${m.id}/reactions`, { emoji: ":e50:" });
    expect(over.status).toBe(400);
    expect(over.body.error.issues).toEqual([{ path: "emoji", message: expect.stringMatching(/50/) }]);
    const more = await bob.api.post<Message>(`/api/chat/${m.id}/reactions`, { emoji: ":e7:" });
    expect(more.status).toBe(200);
    expect(more.body.reactions).toHaveLength(50);
    expect(more.body.reactions[7]).toEqual({ emoji: ":e7:", count: 2, me: true });
  });

  it("is cleared by deletion; a deleted message takes no reaction; tRPC reacts too", async () => {
    const m = await send(owner, team.id, "to delete");
    const trpc = trpcClient(server.url, ana.token);
    expect((await trpc.message.react.mutate({ id: m.id, emoji: "🎉" })).reactions).toEqual([
      { emoji: "🎉", count: 1, me: true },
    ]);
    const deleted = await owner.api.delete<Message>(`/api/chat/${m.id}`);
    expect(deleted.body.reactions).toEqual([]);
    const late = await ana.api.post(`/api/chat/${m.id}/reactions`, { emoji: "🎉" });
    expect(late.status).toBe(404);
    expect((await trpc.message.unreact.mutate({ id: m.id, emoji: "🎉" })).reactions).toEqual([]);
  });

  it("broadcasts messages with `me` false for every receiver, and tells the reactor's own sockets", async () => {
    const m = await send(owner, team.id, "shared payload");
    await ana.api.post(`/api/chat/${m.id}/reactions`, { emoji: "👀" });
    const socket = await joined(server.url, ana, team.id);
    const updated = nextEvent(socket, "message_updated");
    await owner.api.put(`/api/chat/${m.id}`, { message: "shared payload, edited" });
    expect((await updated).reactions).toEqual([{ emoji: "👀", count: 1, me: false }]);
  });
});

describe("who may and who hears", () => {
  it("refuses an outsider and a removed member on the socket too: a reply or a quote in the room is NOT_FOUND", async () => {
    const room = await group(owner, [ana, bob]);
    const m = await send(bob, room.id, "secret root");
    await owner.api.delete(`/api/room/${room.id}/members/${bob.user.id}`);
    for (const user of [outsider, bob]) {
      const socket = await connectSocket(server.url, user.token);
      for (const extra of [{ parentId: m.id }, { quotedId: m.id }, { parentId: m.id, quotedId: m.id }]) {
        const ack = await call(socket, "send_message", { roomId: room.id, message: "x", ...extra });
        expect(ack).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
        expect(JSON.stringify(ack)).not.toMatch(/secret/);
      }
    }
    expect((await current(owner, m)).replyCount).toBe(0);
  });

  it("never quotes into one's own room a message of a room one is not in: 400 quotedId, as for none", async () => {
    const m = await send(bob, team.id, "secret elsewhere");
    const own = (await outsider.api.post<Room>("/api/room/", { participant: owner.user.id })).body;
    const answers = [];
    for (const quotedId of [m.id, 999_999_999]) {
      const res = await sendWith(outsider, { roomId: own.id, message: "x", quotedId });
      expect(res.status).toBe(400);
      expect(res.body.error.issues).toEqual([{ path: "quotedId", message: expect.any(String) }]);
      answers.push(res.body.error.issues);
    }
    expect(answers[0]).toEqual(answers[1]);
    const trpc = trpcClient(server.url, outsider.token);
    const refused = await trpc.message.send
      .mutate({ roomId: own.id, message: "x", quotedId: m.id })
      .catch((e: unknown) => e as TRPCClientError<AppRouter>);
    expect(refused).toMatchObject({
      data: { httpStatus: 400, issues: [expect.objectContaining({ path: "quotedId" })] },
    });
    expect(JSON.stringify(refused)).not.toMatch(/secret/);
  });

  it("tells no outsider nor removed member of replies, reactions or mentions, not even on their own channel", async () => {
    const cid = await signUp(server.url, "cid");
    const room = await group(owner, [ana, cid]);
    const m = await send(owner, room.id, "root");
    const cidSocket = await joined(server.url, cid, room.id);
    expect((await owner.api.delete(`/api/room/${room.id}/members/${cid.user.id}`)).status).toBe(200);
    const outsiderSocket = await connectSocket(server.url, outsider.token);
    const heard = [cidSocket, outsiderSocket].flatMap((socket) =>
      (["receive_message", "message_updated", "reaction_added", "reaction_removed", "mention"] as const).map(
        (event) => ({ event, seen: record(socket, event) }),
      ),
    );
    const anaSocket = await joined(server.url, ana, room.id);
    const anaSaw = record(anaSocket, "reaction_removed");

    const reply = await sendWith(ana, {
      roomId: room.id,
      message: `@${cid.user.username} @${outsider.user.username} @room`,
      parentId: m.id,
    });
    expect(reply.status).toBe(201);
    // Neither is a member: their names are plain text, and @room means the members.
    expect(reply.body.mentions).toEqual([owner.user.id]);
    await owner.api.post(`/api/chat/${m.id}/reactions`, { emoji: "👀" });
    await owner.api.delete(`/api/chat/${m.id}/reactions/${encodeURIComponent("👀")}`);
    // Ana heard the last of it: what the others were to hear has been sent by now.
    await eventually(() => expect(anaSaw).toHaveLength(1));
    await expectSilence(outsiderSocket, "mention");
    for (const { event, seen } of heard) expect(seen, event).toEqual([]);
    expect((await roomOf(owner, room.id)).mentions).toBe(1);
  });

  it("answers 400 naming emoji over tRPC, as over REST", async () => {
    const m = await send(owner, team.id, "trpc emoji");
    const trpc = trpcClient(server.url, ana.token);
    for (const emoji of ["ab", "👍👍", ":a b:"]) {
      const refused = await trpc.message.react.mutate({ id: m.id, emoji }).catch((e: unknown) => e);
      expect(refused, emoji).toBeInstanceOf(TRPCClientError);
      expect((refused as TRPCClientError<AppRouter>).data).toMatchObject({
        httpStatus: 400,
        code: "BAD_REQUEST",
        issues: [expect.objectContaining({ path: "emoji" })],
      });
    }
  });
});

describe("mentions", () => {
  it("mentions members by @username only, counts them in the room list until read, and tells them", async () => {
    const room = await group(owner, [ana, bob]);
    const anaSocket = await joined(server.url, ana, room.id);
    const mention = nextEvent(anaSocket, "mention");
    const m = await send(
      owner,
      room.id,
      `hi @${ana.user.username.toUpperCase()}, @${outsider.user.username} and ${bob.user.email}`,
    );
    expect(m.mentions).toEqual([ana.user.id]);
    expect(await mention).toEqual({ roomId: room.id, message: m });
    expect((await roomOf(ana, room.id)).mentions).toBe(1);
    expect((await roomOf(bob, room.id)).mentions).toBe(0);

    const later = await send(bob, room.id, `@${ana.user.username}. again`);
    expect(later.mentions).toEqual([ana.user.id]);
    expect((await roomOf(ana, room.id)).mentions).toBe(2);
    await ana.api.post(`/api/room/${room.id}/read`, { messageId: m.id });
    expect((await roomOf(ana, room.id)).mentions).toBe(1);
    await ana.api.post(`/api/room/${room.id}/read`, { messageId: later.id });
    expect((await roomOf(ana, room.id)).mentions).toBe(0);
  });

  it("re-derives mentions on edit, and drops them on delete", async () => {
    const room = await group(owner, [ana, bob]);
    const bobSocket = await joined(server.url, bob, room.id);
    const m = await send(owner, room.id, `ping @${ana.user.username}`);
    expect((await roomOf(ana, room.id)).mentions).toBe(1);
    const told = nextEvent(bobSocket, "mention");
    const edited = await owner.api.put<Message>(`/api/chat/${m.id}`, { message: `ping @${bob.user.username}` });
    expect(edited.body.mentions).toEqual([bob.user.id]);
    expect((await told).message.id).toBe(m.id);
    expect((await roomOf(ana, room.id)).mentions).toBe(0);
    expect((await roomOf(bob, room.id)).mentions).toBe(1);
    // The same mentions again: nobody is told twice.
    await owner.api.put(`/api/chat/${m.id}`, { message: `ping @${bob.user.username} (typo)` });
    await expectSilence(bobSocket, "mention");
    await owner.api.delete(`/api/chat/${m.id}`);
    expect((await roomOf(bob, room.id)).mentions).toBe(0);
  });

  it("@room mentions every other member; in a group over 50, only from an owner or an admin", async () => {
    const small = await group(owner, [ana, bob]);
    expect((await send(bob, small.id, "@room lunch?")).mentions).toEqual(
      [owner.user.id, ana.user.id].sort((a, b) => a - b),
    );

    const crowd = await insertUsers(server.db.pool, `crowd${Date.now()}`, 49);
    const big = await group(owner, [ana, bob], crowd);
    expect(big.memberCount).toBe(52);
    await owner.api.patch(`/api/room/${big.id}/members/${ana.user.id}`, { role: "admin" });
    const plain = await send(bob, big.id, "@room everyone look");
    expect(plain.mentions).toEqual([]);
    expect((await roomOf(owner, big.id)).mentions).toBe(0);
    const byAdmin = await send(ana, big.id, "@room everyone look");
    expect(byAdmin.mentions).toHaveLength(51);
    expect(byAdmin.mentions).not.toContain(ana.user.id);
    expect((await roomOf(bob, big.id)).mentions).toBe(1);
    // A plain member still mentions people by name.
    expect((await send(bob, big.id, `@${ana.user.username} hi`)).mentions).toEqual([ana.user.id]);
  });

  it("counts no mention in a direct room for the sender, and mentions the other participant", async () => {
    const res = await ana.api.post<Room>("/api/room/", { participant: bob.user.id });
    const m = await send(ana, res.body.id, `@${bob.user.username} @${ana.user.username} @room`);
    expect(m.mentions).toEqual([bob.user.id]);
    expect((await roomOf(bob, res.body.id)).mentions).toBeGreaterThanOrEqual(1);
    expect((await roomOf(ana, res.body.id)).mentions).toBe(0);
  });
});
