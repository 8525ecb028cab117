import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { TestServer } from "@causette/server/test-harness";

import { ChatError, createChatClient, type Room } from "../src/index.ts";
import { collect, next, pause, sdkUser, twoInARoom, type SdkUser } from "./helpers.ts";

let server: TestServer;
let ana: SdkUser;
let bob: SdkUser;
let room: Room;

beforeAll(async () => {
  ({ server, ana, bob, room } = await twoInARoom());
});
afterAll(() => server.close());

async function rejection(promise: Promise<unknown>): Promise<ChatError> {
  const error = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChatError);
  return error as ChatError;
}

describe("auth", () => {
  it("registers without logging in, then logs in and keeps the token for later calls", async () => {
    const tokens: Array<string | null> = [];
    const chat = createChatClient({ url: `${server.url}/`, onTokenChange: (t) => tokens.push(t) });
    const user = await chat.auth.register({
      username: "carol_auth",
      email: "carol.auth@example.com",
      password: "correct horse",
    });
    expect(user).toEqual({
      id: expect.any(Number),
      username: "carol_auth",
      email: "carol.auth@example.com",
      createdAt: expect.any(String),
    });
    expect(chat.auth.token()).toBeNull();
    expect((await rejection(chat.users.me())).code).toBe("UNAUTHORIZED");

    const session = await chat.auth.login({ email: "carol.auth@example.com", password: "correct horse" });
    expect(session.user).toEqual(user);
    expect(chat.auth.token()).toBe(session.token);
    expect(tokens).toEqual([session.token]);
    expect(await chat.users.me()).toEqual(user);

    await chat.auth.logout();
    expect(chat.auth.token()).toBeNull();
    expect(tokens).toEqual([session.token, null]);
    const error = await rejection(chat.users.me());
    expect(error).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
  });

  it("takes a stored token, and refuses a wrong password as UNAUTHORIZED", async () => {
    const chat = createChatClient({ url: server.url, token: ana.chat.auth.token() });
    expect((await chat.users.me()).id).toBe(ana.user.id);
    const error = await rejection(chat.auth.login({ email: ana.email, password: "wrong password" }));
    expect(error).toMatchObject({ name: "ChatError", code: "UNAUTHORIZED", status: 401 });
    expect(error.message).toBeTruthy();
  });

  it("names the refused fields in `issues`", async () => {
    const chat = createChatClient({ url: server.url });
    const error = await rejection(chat.auth.register({ username: "x", email: "not-an-email", password: "short" }));
    expect(error).toMatchObject({ code: "BAD_REQUEST", status: 400 });
    expect(error.issues?.map((i) => i.path).sort()).toEqual(["email", "password", "username"]);
  });
});

describe("users", () => {
  it("lists, searches, gets one and answers NOT_FOUND for a missing one", async () => {
    const all = await ana.chat.users.list();
    expect(all.map((u) => u.id)).toEqual(expect.arrayContaining([ana.user.id, bob.user.id]));
    const found = await ana.chat.users.list({ search: bob.user.username, limit: 5 });
    expect(found).toEqual([bob.user]);
    expect(await ana.chat.users.me()).toEqual(ana.user);
    expect(await ana.chat.users.get(bob.user.id)).toEqual(bob.user);
    expect(await rejection(ana.chat.users.get(999_999))).toMatchObject({ code: "NOT_FOUND", status: 404 });
  });
});

describe("rooms", () => {
  it("creates one room per pair and lists it with its last message and unread count", async () => {
    expect(room.participants.map((p) => p.id).sort()).toEqual([ana.user.id, bob.user.id].sort());
    const again = await bob.chat.rooms.create({ participant: ana.user.id });
    expect(again.id).toBe(room.id);
    const sent = await ana.chat.messages.send({ roomId: room.id, message: "for the list" });
    const [listed] = await bob.chat.rooms.list();
    expect(listed).toMatchObject({ id: room.id, lastMessage: sent, unread: expect.any(Number) });
    expect(listed!.unread).toBeGreaterThan(0);
  });

  it("answers changes since a version, and marks read up to a message", async () => {
    const before = (await ana.chat.rooms.changes({ id: room.id, since: 0 })).version;
    const one = await ana.chat.messages.send({ roomId: room.id, message: "one" });
    const two = await ana.chat.messages.send({ roomId: room.id, message: "two" });
    const changes = await bob.chat.rooms.changes({ id: room.id, since: before });
    expect(changes.messages.map((m) => m.id)).toEqual([one.id, two.id]);
    expect(changes.version).toBe(two.version);
    expect(await bob.chat.messages.changes({ id: room.id, since: before })).toEqual(changes);

    const read = await bob.chat.rooms.markRead({ id: room.id, messageId: two.id });
    expect(read).toMatchObject({ id: two.id, state: "lu" });
    const [first] = await bob.chat.messages.list({ roomId: room.id, after: one.id - 1, limit: 1 });
    expect(first).toMatchObject({ id: one.id, state: "lu" });
    expect((await bob.chat.messages.markRead({ id: room.id, messageId: two.id })).state).toBe("lu");
  });

  it("answers NOT_FOUND for a room the caller is not in", async () => {
    const eve = await sdkUser(server.url, "eve");
    expect(await rejection(eve.chat.rooms.changes({ id: room.id, since: 0 }))).toMatchObject({
      code: "NOT_FOUND",
      status: 404,
    });
    expect(await rejection(eve.chat.rooms.create({ participant: eve.user.id }))).toMatchObject({
      code: "BAD_REQUEST",
      issues: [{ path: "participant" }],
    });
  });
});

describe("messages", () => {
  it("sends with a clientId of its own, or the caller's, which makes a resend idempotent", async () => {
    const sent = await ana.chat.messages.send({ roomId: room.id, message: "hello" });
    expect(sent).toMatchObject({ roomId: room.id, sender: ana.user.id, message: "hello", state: "ok" });
    expect(sent.clientId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const mine = await ana.chat.messages.send({ roomId: room.id, message: "once", clientId: "my-own-id" });
    const again = await ana.chat.messages.send({ roomId: room.id, message: "once", clientId: "my-own-id" });
    expect(again).toEqual(mine);
  });

  it("lists oldest first, with before/after and limit", async () => {
    const sent = [];
    for (const text of ["p1", "p2", "p3", "p4"])
      sent.push(await bob.chat.messages.send({ roomId: room.id, message: text }));
    const latest = await ana.chat.messages.list({ roomId: room.id, limit: 2 });
    expect(latest.map((m) => m.message)).toEqual(["p3", "p4"]);
    const before = await ana.chat.messages.list({ roomId: room.id, before: sent[2]!.id, limit: 2 });
    expect(before.map((m) => m.message)).toEqual(["p1", "p2"]);
    const after = await ana.chat.messages.list({ roomId: room.id, after: sent[1]!.id });
    expect(after.map((m) => m.message)).toEqual(["p3", "p4"]);
  });

  it("edits, sets the state, deletes and searches", async () => {
    const sent = await ana.chat.messages.send({ roomId: room.id, message: "a typo heer" });
    const edited = await ana.chat.messages.edit({ id: sent.id, message: "a typo here" });
    expect(edited).toMatchObject({ id: sent.id, message: "a typo here", editedAt: expect.any(String) });
    expect(edited.version).toBeGreaterThan(sent.version);

    expect(await rejection(ana.chat.messages.setState({ id: sent.id, state: "lu" }))).toMatchObject({
      code: "FORBIDDEN",
      status: 403,
    });
    expect((await bob.chat.messages.setState({ id: sent.id, state: "recu" })).state).toBe("recu");
    expect(await rejection(bob.chat.messages.edit({ id: sent.id, message: "mine now" }))).toMatchObject({
      code: "FORBIDDEN",
      status: 403,
    });

    const found = await bob.chat.messages.search({ q: "typo" });
    expect(found.map((m) => m.id)).toContain(sent.id);
    expect(await bob.chat.messages.search({ q: "typo", roomId: room.id, limit: 1 })).toHaveLength(1);

    const deleted = await ana.chat.messages.delete(sent.id);
    expect(deleted).toMatchObject({ id: sent.id, message: "", deletedAt: expect.any(String) });
    expect(await bob.chat.messages.search({ q: "typo" })).toEqual([]);
  });

  it("refuses an empty or oversized message naming the field", async () => {
    const empty = await rejection(ana.chat.messages.send({ roomId: room.id, message: "" }));
    expect(empty).toMatchObject({ code: "BAD_REQUEST", status: 400 });
    expect(empty.issues?.[0]?.path).toBe("message");
    const big = await rejection(ana.chat.messages.send({ roomId: room.id, message: "x".repeat(4001) }));
    expect(big.code).toBe("BAD_REQUEST");
    expect(big.issues?.[0]?.path).toBe("message");
  });
});

describe("failures without an answer", () => {
  it("is NETWORK when nothing listens, with status 0", async () => {
    const chat = createChatClient({ url: "http://127.0.0.1:9", retries: 1, retryDelay: 10 });
    const error = await rejection(chat.messages.send({ roomId: 1, message: "lost" }));
    expect(error).toMatchObject({ code: "NETWORK", status: 0 });
    expect(await rejection(chat.users.me())).toMatchObject({ code: "NETWORK", status: 0 });
    expect(await rejection(chat.realtime.connect())).toMatchObject({ code: "NETWORK", status: 0 });
  });

  it("is TIMEOUT when the server does not answer in time", async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason as Error)),
      );
    const chat = createChatClient({ url: server.url, fetch: hanging, timeout: 100 });
    expect(await rejection(chat.users.list())).toMatchObject({ code: "TIMEOUT", status: 0 });
  });

  it("refuses a socket without a valid token as UNAUTHORIZED", async () => {
    const chat = createChatClient({ url: server.url, token: "not-a-token", transports: ["websocket"] });
    expect(await rejection(chat.realtime.connect())).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    expect(await rejection(chat.realtime.joinRoom(room.id))).toMatchObject({ code: "NETWORK" });
  });
});

describe("options", () => {
  it("refuses a client without a usable url", () => {
    expect(() => createChatClient({ url: "" })).toThrow(ChatError);
    expect(() => createChatClient({ url: "localhost:5050" })).toThrow(ChatError);
    expect(() => createChatClient({ url: "not a url" })).toThrow(
      expect.objectContaining({
        code: "BAD_REQUEST",
        issues: [{ path: "url", message: "must be an absolute http(s) URL" }],
      }),
    );
  });
});

describe("system", () => {
  it("answers health", async () => {
    expect(await createChatClient({ url: server.url }).system.health()).toMatchObject({ status: "ok", database: "up" });
  });
});

describe("realtime", () => {
  beforeAll(async () => {
    await ana.chat.realtime.connect();
    await bob.chat.realtime.connect();
    await ana.chat.realtime.joinRoom(room.id);
    await bob.chat.realtime.joinRoom(room.id);
  });

  it("delivers messages sent over HTTP or the socket; sendMessage resolves with the stored message", async () => {
    expect(ana.chat.realtime.connected).toBe(true);
    const viaHttp = next(bob.chat, "receive_message", (m) => m.message === "over http");
    const sent = await ana.chat.messages.send({ roomId: room.id, message: "over http" });
    expect(await viaHttp).toEqual(sent);

    const viaSocket = next(ana.chat, "receive_message", (m) => m.message === "over the socket");
    const stored = await bob.chat.realtime.sendMessage({ roomId: room.id, message: "over the socket" });
    expect(stored).toMatchObject({
      id: expect.any(Number),
      sender: bob.user.id,
      message: "over the socket",
      clientId: expect.any(String),
    });
    expect(await viaSocket).toEqual(stored);
  });

  it("relays receipts, edits, deletions and typing", async () => {
    const sent = await ana.chat.realtime.sendMessage({ roomId: room.id, message: "read me" });
    const receipt = next(ana.chat, "message_state_update", (u) => u.messageId === sent.id);
    const marked = await bob.chat.realtime.setState({ roomId: room.id, messageId: sent.id, state: "lu" });
    expect(marked.state).toBe("lu");
    expect(await receipt).toEqual({
      roomId: room.id,
      messageId: sent.id,
      state: "lu",
      version: marked.version,
      userId: bob.user.id,
    });

    const updated = next(bob.chat, "message_updated", (m) => m.id === sent.id);
    await ana.chat.messages.edit({ id: sent.id, message: "read me, edited" });
    expect((await updated).message).toBe("read me, edited");
    const deleted = next(bob.chat, "message_deleted", (m) => m.id === sent.id);
    await ana.chat.messages.delete(sent.id);
    expect((await deleted).deletedAt).not.toBeNull();

    const typing = next(bob.chat, "typing");
    await ana.chat.realtime.typing({ roomId: room.id, isTyping: true });
    expect(await typing).toEqual({ roomId: room.id, userId: ana.user.id, isTyping: true });
  });

  it("answers sync with the changes after a version", async () => {
    const a = await ana.chat.realtime.sendMessage({ roomId: room.id, message: "sync a" });
    const b = await ana.chat.realtime.sendMessage({ roomId: room.id, message: "sync b" });
    const changes = await bob.chat.realtime.sync({ roomId: room.id, since: a.version - 1 });
    expect(changes.messages.map((m) => m.id)).toEqual([a.id, b.id]);
    expect(changes.version).toBeGreaterThanOrEqual(b.version);
  });

  it("turns a refused ack into a ChatError", async () => {
    const empty = await rejection(bob.chat.realtime.sendMessage({ roomId: room.id, message: "" }));
    expect(empty).toMatchObject({ code: "BAD_REQUEST", status: 400 });
    expect(empty.issues?.map((i) => i.path)).toContain("message");
    expect(
      await rejection(bob.chat.realtime.sendMessage({ roomId: room.id, message: "x", sender: ana.user.id })),
    ).toMatchObject({ code: "FORBIDDEN", status: 403 });
    expect(await rejection(bob.chat.realtime.joinRoom(999_999))).toMatchObject({ code: "NOT_FOUND", status: 404 });
  });

  it("tells both participants of a new room, and partners' presence", async () => {
    const dan = await sdkUser(server.url, "dan");
    const presence = collect(ana.chat, "presence");
    await dan.chat.realtime.connect();
    const created = next(dan.chat, "room_created");
    const seenByAna = next(ana.chat, "room_created");
    const newRoom = await ana.chat.rooms.create({ participant: dan.user.id });
    expect((await created).id).toBe(newRoom.id);
    expect((await seenByAna).id).toBe(newRoom.id);
    dan.chat.realtime.disconnect();
    const offline = await next(ana.chat, "presence", (p) => p.userId === dan.user.id && !p.online);
    expect(offline).toEqual({ userId: dan.user.id, online: false });
    expect(presence.every((p) => typeof p.online === "boolean")).toBe(true);
  });

  it("stops delivering a room after leaveRoom, and off() removes a listener", async () => {
    const heard: string[] = [];
    const listener = (m: { message: string }) => heard.push(m.message);
    bob.chat.realtime.on("receive_message", listener);
    await bob.chat.realtime.leaveRoom(room.id);
    await ana.chat.messages.send({ roomId: room.id, message: "after leaving" });
    await pause(300);
    expect(heard).toEqual([]);
    await bob.chat.realtime.joinRoom(room.id);
    bob.chat.realtime.off("receive_message", listener);
    const still = next(bob.chat, "receive_message", (m) => m.message === "after off");
    await ana.chat.messages.send({ roomId: room.id, message: "after off" });
    await still;
    expect(heard).toEqual([]);
  });
});
