import { beforeAll, describe, expect, it } from "vitest";

import { type Message } from "@causette/contracts";

import { connectSocket, nextEvent, signUp, trpcClient, type ClientSocket } from "./harness.ts";
import { call, expectSilence, pairJoined, useServer, type Pair } from "./realtime-helpers.ts";

const server = useServer();

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
      const page = await p.bob.api.get(`/api/chat/${p.room.id}?before=${message.id + 1}&limit=1`);
      expect(page.body).toEqual([message]);
    }
  });

  it("edits, deletions and receipts through REST reach the room with the room's version", async () => {
    // The send's own broadcast first, so the events below can only be the edit's and the read's.
    const broadcast = nextEvent(bob, "receive_message");
    const sent = await p.ana.api.post("/api/chat/", { roomId: p.room.id, message: "to edit" });
    expect(await broadcast).toEqual(sent.body);
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
    const broadcast = nextEvent(ana, "receive_message");
    const sent = await client.message.send.mutate({ roomId: p.room.id, message: "trpc edit" });
    expect(await broadcast).toEqual(sent);
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
