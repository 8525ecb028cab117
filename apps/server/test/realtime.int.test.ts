import { io as ioClient } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Message } from "@causette/contracts";

import { PLAIN_MESSAGE } from "./chat.ts";
import {
  connectSocket,
  nextEvent,
  signUp,
  startServer,
  trpcClient,
  type ClientSocket,
  type TestServer,
} from "./harness.ts";
import {
  call,
  eventually,
  expectSilence,
  joined,
  pair,
  pairJoined,
  record,
  sleep,
  type Pair,
} from "./realtime-helpers.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** A handshake's outcome: "connected", or the connect_error message. */
function handshake(options: Record<string, unknown>): Promise<string> {
  const socket = ioClient(server.url, { transports: ["websocket"], reconnection: false, forceNew: true, ...options });
  return new Promise<string>((resolve) => {
    socket.once("connect", () => resolve("connected"));
    socket.once("connect_error", (error) => resolve(error.message));
  }).finally(() => socket.disconnect());
}

describe("handshake", () => {
  it("refuses a connection without a token, or with a bad one, with connect_error UNAUTHORIZED", async () => {
    expect(await handshake({})).toBe("UNAUTHORIZED");
    expect(await handshake({ auth: { token: "not.a.jwt" } })).toBe("UNAUTHORIZED");
    expect(await handshake({ auth: { token: 42 } })).toBe("UNAUTHORIZED");
    expect(await handshake({ extraHeaders: { authorization: "Bearer garbage" } })).toBe("UNAUTHORIZED");
    expect(await handshake({ extraHeaders: { cookie: "token=s%3Aforged.signature" } })).toBe("UNAUTHORIZED");
    // Polling answers the same.
    expect(await handshake({ transports: ["polling"] })).toBe("UNAUTHORIZED");
  });

  it("takes the token from auth.token, the Authorization header, or the login cookie", async () => {
    const ana = await signUp(server.url, "hs");
    expect(await handshake({ auth: { token: ana.token } })).toBe("connected");
    expect(await handshake({ extraHeaders: { authorization: `Bearer ${ana.token}` } })).toBe("connected");
    const login = await ana.api.post("/api/user/connexion", { email: ana.user.email, password: ana.password });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(cookie).toMatch(/^token=/);
    expect(await handshake({ extraHeaders: { cookie } })).toBe("connected");
    // The cookie is signed: the bare token under the cookie's name is not enough.
    expect(await handshake({ extraHeaders: { cookie: `token=${ana.token}` } })).toBe("UNAUTHORIZED");
  });

  it("checks the Origin against the allowed origins, on websockets and polling alike", async () => {
    const ana = await signUp(server.url, "origin");
    const auth = { token: ana.token };
    expect(await handshake({ auth, extraHeaders: { origin: "http://localhost:3000" } })).toBe("connected");
    expect(await handshake({ auth, extraHeaders: { origin: "https://evil.example" } })).not.toBe("connected");
    expect(
      await handshake({ auth, transports: ["polling"], extraHeaders: { origin: "https://evil.example" } }),
    ).not.toBe("connected");

    const strict = await startServer({ config: { corsOrigins: ["https://chat.example.com"] } });
    try {
      const user = await signUp(strict.url, "strict");
      const at = (origin: string) =>
        new Promise<string>((resolve) => {
          const socket = ioClient(strict.url, {
            transports: ["websocket"],
            reconnection: false,
            forceNew: true,
            auth: { token: user.token },
            extraHeaders: { origin },
          });
          socket.once("connect", () => resolve("connected"));
          socket.once("connect_error", (error) => resolve(error.message));
        });
      expect(await at("https://chat.example.com")).toBe("connected");
      expect(await at("http://localhost:3000")).not.toBe("connected");
    } finally {
      await strict.close();
    }
  });
});

describe("the seed's client example", () => {
  it("runs as written: join_room with a bare id, send_message and message_state without acks", async () => {
    const { ana, bob, room } = await pair(server.url, ["seedana", "seedbob"]);
    const bobSocket = await joined(server.url, bob, room.id);
    const fromBob = await bob.api.post("/api/chat/", { roomId: room.id, message: "Salut Ana" });
    expect(fromBob.status).toBe(201);

    // The seed's snippet, with its ids, URL and token placeholder replaced by this test's.
    // (In the README two `socket.on` lines share a line with the comment above them, separated
    // by a tab: a formatting slip, they are meant as code.)
    const logged: unknown[][] = [];
    const console = { log: (...args: unknown[]) => logged.push(args) };
    const io = ioClient;
    const socket = io(server.url, {
      auth: {
        token: ana.token,
      },
    });
    afterAll(() => {
      socket.disconnect();
    });

    // Rejoindre une room de chat (par exemple roomId = 1)
    socket.emit("join_room", room.id);

    // Envoyer un message dans la room
    socket.emit("send_message", {
      roomId: room.id,
      message: "Hello!",
      sender: ana.user.id, // id utilisateur (optionnel, le backend peut le vérifier)
    });

    // Recevoir les messages instantanément
    socket.on("receive_message", (data) => {
      console.log("Nouveau message:", data);
    });

    // Mettre à jour l'état d'un message (ex: lu)
    socket.emit("message_state", {
      roomId: room.id,
      messageId: fromBob.body.id,
      state: "lu",
    });

    // Recevoir les mises à jour d'état
    socket.on("message_state_update", (data) => {
      console.log("État du message mis à jour:", data);
    });

    const [forBob, updateForBob] = await Promise.all([
      nextEvent(bobSocket, "receive_message"),
      nextEvent(bobSocket, "message_state_update"),
    ]);
    expect(forBob).toMatchObject({ roomId: room.id, sender: ana.user.id, message: "Hello!", state: "ok" });
    expect(updateForBob).toEqual({
      roomId: room.id,
      messageId: fromBob.body.id,
      state: "lu",
      version: expect.any(Number),
      userId: ana.user.id,
    });

    // Without an ack, the sender's own socket gets the broadcasts too.
    await eventually(() => {
      expect(logged.map(([label]) => label)).toEqual(
        expect.arrayContaining(["Nouveau message:", "État du message mis à jour:"]),
      );
    });
    const received = logged.find(([label]) => label === "Nouveau message:")![1] as Message;
    expect(received).toEqual(forBob);
    const stored = await ana.api.get(`/api/chat/${room.id}`);
    expect(stored.body.map((m: Message) => [m.message, m.state])).toEqual([
      ["Salut Ana", "lu"],
      ["Hello!", "ok"],
    ]);
  });
});

describe("events and their refusal to non-members", () => {
  let p: Pair;
  let ana: ClientSocket;
  let bob: ClientSocket;
  let eve: { socket: ClientSocket; user: Awaited<ReturnType<typeof signUp>> };

  beforeAll(async () => {
    ({ p, ana, bob } = await pairJoined(server.url));
    const user = await signUp(server.url, "eve");
    eve = { user, socket: await connectSocket(server.url, user.token) };
  });

  it("join_room accepts { roomId } too, and refuses a room the caller is not in as NOT_FOUND", async () => {
    expect(await call(ana, "join_room", { roomId: p.room.id })).toEqual({ ok: true, data: null });
    const refused = await call(eve.socket, "join_room", p.room.id);
    expect(refused).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    // As if the room did not exist.
    expect(await call(eve.socket, "join_room", 999_999)).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    // Refused, she hears nothing of the room.
    const silent = expectSilence(eve.socket, "receive_message");
    expect(await call(ana, "send_message", { roomId: p.room.id, message: "not for eve" })).toMatchObject({ ok: true });
    await silent;
  });

  it("send_message stores, acks the stored message, and broadcasts it to the other participant with its version", async () => {
    const before = (await p.ana.api.get(`/api/room/${p.room.id}/changes?since=0`)).body.version as number;
    const toBob = nextEvent(bob, "receive_message");
    const anaHears = expectSilence(ana, "receive_message");
    const ack = await call(ana, "send_message", { roomId: p.room.id, message: "Bonjour Bob", clientId: "c-1" });
    expect(ack).toEqual({
      ok: true,
      data: {
        id: expect.any(Number),
        roomId: p.room.id,
        sender: p.ana.user.id,
        message: "Bonjour Bob",
        state: "ok",
        clientId: "c-1",
        version: before + 1,
        createdAt: expect.any(String),
        editedAt: null,
        deletedAt: null,
        ...PLAIN_MESSAGE,
      },
    });
    expect(await toBob).toEqual(ack.ok && ack.data);
    // The socket that asked for an ack learns from the ack, not from a duplicate broadcast.
    await anaHears;
    // A retry with the same clientId answers the same message and broadcasts nothing.
    const retry = expectSilence(bob, "receive_message");
    expect(await call(ana, "send_message", { roomId: p.room.id, message: "Bonjour Bob", clientId: "c-1" })).toEqual(
      ack,
    );
    await retry;
  });

  it("send_message with the caller's own sender is accepted; a spoofed sender is refused and nothing is stored", async () => {
    expect(
      await call(ana, "send_message", { roomId: p.room.id, message: "signed", sender: p.ana.user.id }),
    ).toMatchObject({ ok: true, data: { sender: p.ana.user.id } });
    const before = (await p.ana.api.get(`/api/chat/${p.room.id}`)).body.length;
    const silent = expectSilence(ana, "receive_message");
    const spoofed = await call(bob, "send_message", { roomId: p.room.id, message: "I am Ana", sender: p.ana.user.id });
    expect(spoofed).toMatchObject({ ok: false, error: { code: "FORBIDDEN", issues: [{ path: "sender" }] } });
    await silent;
    expect((await p.ana.api.get(`/api/chat/${p.room.id}`)).body).toHaveLength(before);
  });

  it("send_message to a room the caller is not in answers NOT_FOUND and stores nothing", async () => {
    const before = (await p.ana.api.get(`/api/chat/${p.room.id}`)).body.length;
    const silent = expectSilence(bob, "receive_message");
    expect(await call(eve.socket, "send_message", { roomId: p.room.id, message: "intrusion" })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
    expect(
      await call(eve.socket, "send_message", { roomId: p.room.id, message: "again", clientId: "x" }),
    ).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    await silent;
    expect((await p.ana.api.get(`/api/chat/${p.room.id}`)).body).toHaveLength(before);
  });

  it("message_state moves the receipt and sends message_state_update to the room; only the recipient may", async () => {
    const sent = await call(ana, "send_message", { roomId: p.room.id, message: "read me" });
    if (!sent.ok) throw new Error("send failed");
    await sleep(50);
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
    expect((await p.ana.api.get(`/api/chat/${p.room.id}?after=${sent.data.id - 1}`)).body[0].state).toBe("recu");
  });

  it("typing is relayed to the other participant, refused outside a joined room", async () => {
    const relayed = nextEvent(bob, "typing");
    expect(await call(ana, "typing", { roomId: p.room.id, isTyping: true })).toEqual({ ok: true, data: null });
    expect(await relayed).toEqual({ roomId: p.room.id, userId: p.ana.user.id, isTyping: true });
    const stopped = nextEvent(bob, "typing");
    expect(await call(ana, "typing", { roomId: p.room.id, isTyping: false })).toEqual({ ok: true, data: null });
    expect(await stopped).toEqual({ roomId: p.room.id, userId: p.ana.user.id, isTyping: false });
    expect(await call(eve.socket, "typing", { roomId: p.room.id, isTyping: true })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
  });

  it("sync answers what GET /api/room/:id/changes answers, and refuses a non-member", async () => {
    const rest = await p.ana.api.get(`/api/room/${p.room.id}/changes?since=1`);
    expect(rest.status).toBe(200);
    expect(await call(ana, "sync", { roomId: p.room.id, since: 1 })).toEqual({ ok: true, data: rest.body });
    expect(await call(eve.socket, "sync", { roomId: p.room.id, since: 0 })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
  });

  it("leave_room stops the room's broadcasts to that socket", async () => {
    const extra = await joined(server.url, p.bob, p.room.id);
    expect(await call(extra, "leave_room", p.room.id)).toEqual({ ok: true, data: null });
    const silent = expectSilence(extra, "receive_message");
    const heard = nextEvent(bob, "receive_message");
    await call(ana, "send_message", { roomId: p.room.id, message: "after leave" });
    await heard;
    await silent;
    expect(await call(extra, "typing", { roomId: p.room.id, isTyping: true })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
    extra.disconnect();
  });
});

describe("ordering", () => {
  it("handles one socket's events in the order it sent them", async () => {
    const p = await pair(server.url);
    const bob = await joined(server.url, p.bob, p.room.id);
    const ana = await connectSocket(server.url, p.ana.token);
    // Not waiting for join_room's ack: the next events still find the room joined.
    const join = call(ana, "join_room", p.room.id);
    const typing = call(ana, "typing", { roomId: p.room.id, isTyping: true });
    const sends = Array.from({ length: 20 }, (_, i) =>
      call(ana, "send_message", { roomId: p.room.id, message: `n${i}` }),
    );
    expect(await join).toEqual({ ok: true, data: null });
    expect(await typing).toEqual({ ok: true, data: null });
    const acks = await Promise.all(sends);
    const ids = acks.map((a) => (a.ok ? a.data.id : 0));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const stored = await p.bob.api.get(`/api/chat/${p.room.id}`);
    expect(stored.body.map((m: Message) => m.message)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
    bob.disconnect();
  });
});

describe("concurrent sends (written together when they arrive together)", () => {
  it("answers each send with its own message, versions each room without gaps, and stores a clientId once", async () => {
    const pairs = await Promise.all([pair(server.url), pair(server.url), pair(server.url)]);
    const eve = await signUp(server.url, "eve");
    const sockets = await Promise.all(
      pairs.flatMap((p) => [
        joined(server.url, p.ana, p.room.id),
        joined(server.url, p.bob, p.room.id),
        connectSocket(server.url, p.ana.token),
      ]),
    );
    const eveSocket = await connectSocket(server.url, eve.token);

    const sends = pairs.flatMap((p, r) =>
      Array.from({ length: 10 }, (_, i) => ({
        socket: sockets[r * 3 + (i % 2)]!,
        roomId: p.room.id,
        message: `r${r} m${i}`,
      })),
    );
    // The same clientId from two tabs at once, and an intruder, in the same burst.
    const acks = await Promise.all([
      ...sends.map((s) => call(s.socket, "send_message", { roomId: s.roomId, message: s.message })),
      call(sockets[0]!, "send_message", { roomId: pairs[0]!.room.id, message: "once", clientId: "dup" }),
      call(sockets[2]!, "send_message", { roomId: pairs[0]!.room.id, message: "once", clientId: "dup" }),
      call(eveSocket, "send_message", { roomId: pairs[1]!.room.id, message: "intrusion" }),
    ]);
    const [dupA, dupB, intrusion] = acks.slice(-3);
    expect(intrusion).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    expect(dupA).toMatchObject({ ok: true, data: { message: "once", clientId: "dup" } });
    expect(dupB).toEqual(dupA);
    for (const [i, s] of sends.entries())
      expect(acks[i]).toMatchObject({ ok: true, data: { roomId: s.roomId, message: s.message } });

    for (const p of pairs) {
      const stored = (await p.ana.api.get(`/api/chat/${p.room.id}?limit=200`)).body as Message[];
      expect(stored.length).toBe(p === pairs[0] ? 11 : 10);
      // In id order, the room's versions are 1, 2, 3... and the room's version is the last.
      expect(stored.map((m) => m.version)).toEqual(stored.map((_, i) => i + 1));
      expect((await p.ana.api.get(`/api/room/${p.room.id}/changes?since=0`)).body.version).toBe(stored.length);
      for (const m of stored)
        expect(acks.filter((a) => a.ok && a.data.id === m.id).map((a) => a.ok && a.data)).toContainEqual(m);
    }
    expect(
      (await pairs[1]!.ana.api.get(`/api/chat/${pairs[1]!.room.id}`)).body.map((m: Message) => m.message),
    ).not.toContain("intrusion");
  });
});

describe("malformed payloads", () => {
  let p: Pair;
  let ana: ClientSocket;
  let bob: ClientSocket;

  beforeAll(async () => {
    ({ p, ana, bob } = await pairJoined(server.url));
  });

  const bad = () =>
    [
      ["send_message", { roomId: String(p.room.id), message: "wrong type" }, "roomId"],
      ["send_message", { roomId: p.room.id }, "message"],
      ["send_message", { roomId: p.room.id, message: "extra", admin: true }, "admin"],
      ["send_message", { roomId: p.room.id, message: "x".repeat(4001) }, "message"],
      ["send_message", { roomId: p.room.id, message: "é".repeat(10_000) }, "message"],
      ["send_message", { roomId: p.room.id, message: "   " }, "message"],
      ["send_message", "Hello!", ""],
      ["send_message", null, ""],
      ["send_message", [p.room.id, "hi"], ""],
      ["join_room", "1", ""],
      ["join_room", -1, ""],
      ["join_room", { roomId: p.room.id, extra: 1 }, "extra"],
      ["message_state", { roomId: p.room.id, messageId: 1, state: "read" }, "state"],
      ["message_state", { roomId: p.room.id, state: "lu" }, "messageId"],
      ["typing", { roomId: p.room.id, isTyping: "yes" }, "isTyping"],
      ["sync", { roomId: p.room.id, since: -1 }, "since"],
      ["sync", { roomId: p.room.id, since: 1.5 }, "since"],
    ] as const;

  it("answers BAD_REQUEST naming the field through the ack, and the sockets stay connected", async () => {
    const silent = expectSilence(bob, "receive_message", 500);
    for (const [event, payload, field] of bad()) {
      const ack = await call(ana, event, payload);
      expect(ack, `${event} ${JSON.stringify(payload)?.slice(0, 80)}`).toMatchObject({
        ok: false,
        error: { code: "BAD_REQUEST" },
      });
      if (field && !ack.ok) expect(ack.error.issues?.map((i) => i.path)).toContain(field);
    }
    await silent;
    expect(ana.connected && bob.connected).toBe(true);
    // Still served.
    expect(await call(ana, "send_message", { roomId: p.room.id, message: "still here" })).toMatchObject({ ok: true });
  });

  it("answers BAD_REQUEST when the payload is missing and only the ack is given", async () => {
    for (const event of ["send_message", "join_room", "sync"] as const) {
      const ack = await (ana.timeout(3000) as any).emitWithAck(event);
      expect(ack, event).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
    }
  });

  it("drops them silently without an ack, and nobody is disconnected", async () => {
    const silent = expectSilence(bob, "receive_message", 500);
    for (const [event, payload] of bad()) ana.emit(event as any, payload as any);
    (ana as any).emit("send_message");
    (ana as any).emit("no_such_event", { x: 1 });
    await silent;
    expect(ana.connected && bob.connected).toBe(true);
    const heard = nextEvent(bob, "receive_message");
    expect(await call(ana, "send_message", { roomId: p.room.id, message: "after the garbage" })).toMatchObject({
      ok: true,
    });
    expect(await heard).toMatchObject({ message: "after the garbage" });
  });

  it("a packet over the size limit closes only the socket that sent it", async () => {
    const rogue = await joined(server.url, p.ana, p.room.id);
    const gone = new Promise<string>((resolve) => rogue.once("disconnect", (reason) => resolve(reason)));
    rogue.emit("send_message", { roomId: p.room.id, message: "x".repeat(200_000) });
    expect(await gone).toMatch(/transport/);
    expect(ana.connected && bob.connected).toBe(true);
    expect(await call(ana, "send_message", { roomId: p.room.id, message: "unaffected" })).toMatchObject({ ok: true });
  });

  it("a 4,000-character message of multi-byte characters fits in a packet", async () => {
    const text = "€".repeat(4000);
    const heard = nextEvent(bob, "receive_message");
    expect(await call(ana, "send_message", { roomId: p.room.id, message: text })).toMatchObject({
      ok: true,
      data: { message: text },
    });
    expect((await heard).message).toBe(text);
  });
});

describe("one broadcast path for every surface", () => {
  let p: Pair;
  let ana: ClientSocket;
  let bob: ClientSocket;

  beforeAll(async () => {
    ({ p, ana, bob } = await pairJoined(server.url));
  });

  it("a REST send and a tRPC send reach the room's sockets exactly like a socket send, the sender's included", async () => {
    const viaRest = Promise.all([nextEvent(ana, "receive_message"), nextEvent(bob, "receive_message")]);
    const rest = await p.ana.api.post("/api/chat/", { roomId: p.room.id, message: "via REST" });
    expect(rest.status).toBe(201);
    expect(await viaRest).toEqual([rest.body, rest.body]);

    const viaTrpc = Promise.all([nextEvent(ana, "receive_message"), nextEvent(bob, "receive_message")]);
    const sent = await trpcClient(server.url, p.bob.token).message.send.mutate({
      roomId: p.room.id,
      message: "via tRPC",
    });
    expect(await viaTrpc).toEqual([sent, sent]);
    expect(sent.version).toBe(rest.body.version + 1);
  });

  it("the message is readable over REST the moment receive_message arrives (broadcast after commit)", async () => {
    for (let i = 0; i < 5; i += 1) {
      const arrived = new Promise<Message>((resolve) => bob.once("receive_message", resolve));
      void call(ana, "send_message", { roomId: p.room.id, message: `committed ${i}` });
      const message = await arrived;
      const page = await p.bob.api.get(`/api/chat/${p.room.id}?after=${message.id - 1}&limit=1`);
      expect(page.body).toEqual([message]);
    }
  });

  it("edits, deletions and receipts through REST reach the room with the room's version", async () => {
    const sent = await p.ana.api.post("/api/chat/", { roomId: p.room.id, message: "to edit" });
    await sleep(50);
    const updated = nextEvent(bob, "message_updated");
    const edit = await p.ana.api.put(`/api/chat/${sent.body.id}`, { message: "edited" });
    expect(edit.status).toBe(200);
    expect(await updated).toEqual(edit.body);
    expect(edit.body).toMatchObject({
      message: "edited",
      version: sent.body.version + 1,
      editedAt: expect.any(String),
    });

    const state = nextEvent(ana, "message_state_update");
    const read = await p.bob.api.post(`/api/room/${p.room.id}/read`, { messageId: sent.body.id });
    expect(read.status).toBe(200);
    expect(await state).toEqual({
      roomId: p.room.id,
      messageId: sent.body.id,
      state: "lu",
      version: sent.body.version + 2,
      userId: p.bob.user.id,
    });

    const deleted = nextEvent(bob, "message_deleted");
    const del = await p.ana.api.delete(`/api/chat/${sent.body.id}`);
    expect(del.status).toBe(200);
    expect(await deleted).toEqual(del.body);
    expect(del.body).toMatchObject({ message: "", deletedAt: expect.any(String), version: sent.body.version + 3 });
  });

  it("edits and deletions through tRPC reach the room too", async () => {
    const client = trpcClient(server.url, p.bob.token);
    const sent = await client.message.send.mutate({ roomId: p.room.id, message: "trpc edit" });
    await sleep(50);
    const updated = nextEvent(ana, "message_updated");
    const edited = await client.message.edit.mutate({ id: sent.id, message: "trpc edited" });
    expect(await updated).toEqual(edited);
    const deleted = nextEvent(ana, "message_deleted");
    const gone = await client.message.delete.mutate({ id: sent.id });
    expect(await deleted).toEqual(gone);
  });

  it("room_created reaches both participants' sockets without join_room, and not a third user", async () => {
    const [cleo, dan, eve] = await Promise.all([
      signUp(server.url, "cleo"),
      signUp(server.url, "dan"),
      signUp(server.url, "eve"),
    ]);
    const [cleoSocket, danSocket, eveSocket] = await Promise.all(
      [cleo, dan, eve].map((u) => connectSocket(server.url, u.token)),
    );
    const silent = expectSilence(eveSocket!, "room_created", 500);
    const events = Promise.all([nextEvent(cleoSocket!, "room_created"), nextEvent(danSocket!, "room_created")]);
    const created = await cleo.api.post("/api/room/", { participant: dan.user.id });
    expect(created.status).toBe(201);
    const [forCleo, forDan] = await events;
    expect(forCleo).toMatchObject({
      id: created.body.id,
      version: 0,
      participants: expect.arrayContaining([expect.objectContaining({ id: dan.user.id })]),
    });
    expect(forDan.id).toBe(created.body.id);
    await silent;
    // Creating it again answers the existing room and announces nothing.
    const again = expectSilence(danSocket!, "room_created");
    expect((await cleo.api.post("/api/room/", { participant: dan.user.id })).status).toBe(200);
    await again;
  });
});

describe("typing expiry", () => {
  it("tells the room the user stopped typing 5 s after the last repeat", async () => {
    const { p, ana, bob } = await pairJoined(server.url);
    const events = record(bob, "typing");
    const start = Date.now();
    await call(ana, "typing", { roomId: p.room.id, isTyping: true });
    await sleep(2000);
    // A repeat pushes the expiry back.
    await call(ana, "typing", { roomId: p.room.id, isTyping: true });
    const repeated = Date.now();
    const stopped = await new Promise<number>((resolve) => {
      bob.on("typing", (e) => {
        if (!e.isTyping) resolve(Date.now());
      });
    });
    expect(stopped - repeated).toBeGreaterThanOrEqual(4900);
    expect(stopped - repeated).toBeLessThan(6500);
    expect(stopped - start).toBeGreaterThan(6500);
    expect(events).toEqual([
      { roomId: p.room.id, userId: p.ana.user.id, isTyping: true },
      { roomId: p.room.id, userId: p.ana.user.id, isTyping: true },
      { roomId: p.room.id, userId: p.ana.user.id, isTyping: false },
    ]);
  }, 15_000);

  it("a send stops typing at once", async () => {
    const { p, ana, bob } = await pairJoined(server.url);
    const started = nextEvent(bob, "typing");
    await call(ana, "typing", { roomId: p.room.id, isTyping: true });
    await started;
    const stopped = nextEvent(bob, "typing", 1000);
    await call(ana, "send_message", { roomId: p.room.id, message: "done typing" });
    expect(await stopped).toEqual({ roomId: p.room.id, userId: p.ana.user.id, isTyping: false });
  });
});

describe("presence", () => {
  it("announces a user with two tabs online once, and offline only after the last tab closes", async () => {
    const p = await pair(server.url);
    const bob = await connectSocket(server.url, p.bob.token);
    // Let Bob's own arrival (and the snapshot of who is online it answers him) settle first.
    await sleep(300);
    const seen = record(bob, "presence");
    const tab1 = await connectSocket(server.url, p.ana.token);
    await eventually(() => expect(seen).toEqual([{ userId: p.ana.user.id, online: true }]));
    const tab2 = await connectSocket(server.url, p.ana.token);
    await sleep(300);
    tab1.disconnect();
    await sleep(300);
    expect(seen).toEqual([{ userId: p.ana.user.id, online: true }]);
    tab2.disconnect();
    await eventually(() =>
      expect(seen).toEqual([
        { userId: p.ana.user.id, online: true },
        { userId: p.ana.user.id, online: false },
      ]),
    );
  });

  it("tells a newcomer which partners are online, and tells nobody outside the user's rooms", async () => {
    const p = await pair(server.url);
    const stranger = await connectSocket(server.url, (await signUp(server.url, "stranger")).token);
    const silent = expectSilence(stranger, "presence", 500);
    await connectSocket(server.url, p.bob.token);
    const ana = ioClient(server.url, {
      auth: { token: p.ana.token },
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    afterAll(() => {
      ana.disconnect();
    });
    const seen = record(ana, "presence");
    await eventually(() => expect(seen).toContainEqual({ userId: p.bob.user.id, online: true }));
    await silent;
  });
});

describe("rate limit", () => {
  it("refuses sends over the per-socket rate with TOO_MANY_REQUESTS, without touching other sockets", async () => {
    const { p, ana, bob } = await pairJoined(server.url);
    const acks = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        call(ana, "send_message", { roomId: p.room.id, message: `flood ${i}` }, 20_000),
      ),
    );
    const ok = acks.filter((a) => a.ok).length;
    const limited = acks.filter((a) => !a.ok && a.error.code === "TOO_MANY_REQUESTS").length;
    expect(ok + limited).toBe(60);
    expect(ok).toBeGreaterThanOrEqual(40);
    expect(ok).toBeLessThan(55);
    // Only the acknowledged ones were stored.
    const stored = await p.ana.api.get(`/api/chat/${p.room.id}?limit=200`);
    expect(stored.body).toHaveLength(ok);
    // Another socket of the same user has its own bucket, and the other participant is unaffected.
    expect(await call(bob, "send_message", { roomId: p.room.id, message: "bob is fine" })).toMatchObject({ ok: true });
    const tab = await joined(server.url, p.ana, p.room.id);
    expect(await call(tab, "send_message", { roomId: p.room.id, message: "other tab" })).toMatchObject({ ok: true });
    // The bucket refills.
    await sleep(1100);
    expect(await call(ana, "send_message", { roomId: p.room.id, message: "later" })).toMatchObject({ ok: true });
  }, 30_000);
});

describe("catch-up after a disconnect", () => {
  it("GET /api/room/:id/changes and sync answer every missed change exactly once, in order", async () => {
    const p = await pair(server.url);
    const ana = await joined(server.url, p.ana, p.room.id);
    let bob = await joined(server.url, p.bob, p.room.id);
    const seen = record(bob, "receive_message");
    await call(ana, "send_message", { roomId: p.room.id, message: "before" });
    await eventually(() => expect(seen).toHaveLength(1));
    const lastSeen = seen[0]!.version;
    bob.disconnect();

    const first = await call(ana, "send_message", { roomId: p.room.id, message: "missed 1" });
    await call(ana, "send_message", { roomId: p.room.id, message: "missed 2" });
    if (!first.ok) throw new Error("send failed");
    await p.ana.api.put(`/api/chat/${first.data.id}`, { message: "missed 1, edited" });
    await p.bob.api.patch(`/api/chat/${first.data.id}/state`, { state: "recu" });

    bob = await joined(server.url, p.bob, p.room.id);
    const rest = await p.bob.api.get(`/api/room/${p.room.id}/changes?since=${lastSeen}`);
    expect(rest.status).toBe(200);
    expect(rest.body.version).toBe(lastSeen + 4);
    // Each message appears once, at its latest version, in version order.
    expect(rest.body.messages.map((m: Message) => [m.message, m.state, m.version])).toEqual([
      ["missed 2", "ok", lastSeen + 2],
      // Receipts are cumulative: marking "missed 1" moved the earlier "before" too.
      ["before", "recu", lastSeen + 4],
      ["missed 1, edited", "recu", lastSeen + 4],
    ]);
    expect(await call(bob, "sync", { roomId: p.room.id, since: lastSeen })).toEqual({ ok: true, data: rest.body });
    // Nothing more after the version answered, and nothing twice.
    expect(await call(bob, "sync", { roomId: p.room.id, since: rest.body.version })).toEqual({
      ok: true,
      data: { version: rest.body.version, messages: [] },
    });
    const next = nextEvent(bob, "receive_message");
    await call(ana, "send_message", { roomId: p.room.id, message: "live again" });
    expect((await next).version).toBe(rest.body.version + 1);
  });
});
