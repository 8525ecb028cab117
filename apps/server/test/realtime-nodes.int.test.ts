import { describe, expect, it } from "vitest";

import type { Message } from "@causette/contracts";

import { connectSocket, env, nextEvent, signUp, trpcClient, useTwoNodes } from "./harness.ts";
import { call, eventually, expectSilence, joined, pair, record, sleep, twoTabsPresence } from "./realtime-helpers.ts";

if (!env.redisUrl) {
  process.stdout.write("realtime-nodes: skipped, REDIS_URL is unset (two nodes need a real Redis to share events)\n");
}

describe.skipIf(!env.redisUrl)("two server nodes over one database, through Redis", () => {
  const nodes = useTwoNodes();

  it("a message sent on node 1 by socket, REST or tRPC reaches a socket on node 2", async () => {
    const p = await pair(nodes.node1.url);
    const ana = await joined(nodes.node1.url, p.ana, p.room.id);
    const bob = await joined(nodes.node2.url, p.bob, p.room.id);

    const bySocket = nextEvent(bob, "receive_message");
    const ack = await call(ana, "send_message", { roomId: p.room.id, message: "from node 1" });
    expect(ack.ok).toBe(true);
    expect(await bySocket).toEqual(ack.ok && ack.data);

    const byRest = nextEvent(bob, "receive_message");
    const rest = await p.ana.api.post("/api/chat/", { roomId: p.room.id, message: "REST on node 1" });
    expect(rest.status).toBe(201);
    expect(await byRest).toEqual(rest.body);

    const byTrpc = nextEvent(bob, "receive_message");
    const sent = await trpcClient(nodes.node1.url, p.ana.token).message.send.mutate({
      roomId: p.room.id,
      message: "tRPC on node 1",
    });
    expect(await byTrpc).toEqual(sent);

    // And back: receipts from node 2 reach node 1.
    const update = nextEvent(ana, "message_state_update");
    expect(await call(bob, "message_state", { roomId: p.room.id, messageId: sent.id, state: "lu" })).toMatchObject({
      ok: true,
    });
    expect(await update).toMatchObject({
      messageId: sent.id,
      state: "lu",
      version: sent.version + 1,
      userId: p.bob.user.id,
    });
  });

  it("skips only the acking socket: the sender's tab on the other node hears the message", async () => {
    const p = await pair(nodes.node1.url);
    const tab1 = await joined(nodes.node1.url, p.ana, p.room.id);
    const tab2 = await joined(nodes.node2.url, p.ana, p.room.id);
    const bob = await joined(nodes.node2.url, p.bob, p.room.id);
    const silent = expectSilence(tab1, "receive_message", 500);
    const heard = Promise.all([nextEvent(tab2, "receive_message"), nextEvent(bob, "receive_message")]);
    const ack = await call(tab1, "send_message", { roomId: p.room.id, message: "two tabs" });
    const [forTab2, forBob] = await heard;
    expect(forTab2).toEqual(ack.ok && ack.data);
    expect(forBob).toEqual(forTab2);
    await silent;
  });

  it("room_created and typing cross nodes", async () => {
    const [cleo, dan] = await Promise.all([signUp(nodes.node1.url, "cleo"), signUp(nodes.node2.url, "dan")]);
    const danSocket = await connectSocket(nodes.node2.url, dan.token);
    const announced = nextEvent(danSocket, "room_created");
    const created = await cleo.api.post("/api/room/", { participant: dan.user.id });
    expect(created.status).toBe(201);
    expect((await announced).id).toBe(created.body.id);

    expect(await call(danSocket, "join_room", created.body.id)).toMatchObject({ ok: true });
    const cleoSocket = await joined(nodes.node1.url, cleo, created.body.id);
    const typing = nextEvent(danSocket, "typing");
    await call(cleoSocket, "typing", { roomId: created.body.id, isTyping: true });
    expect(await typing).toEqual({ roomId: created.body.id, userId: cleo.user.id, isTyping: true });
  });

  it("presence counts a user's tabs on both nodes: online once, offline after the last one closes", async () => {
    await twoTabsPresence({ bob: nodes.node2.url, tab1: nodes.node1.url, tab2: nodes.node2.url });
  });

  it("presence announces a user whose two tabs connect at the same moment on both nodes", async () => {
    for (let round = 0; round < 5; round += 1) {
      const p = await pair(nodes.node1.url);
      const bob = await connectSocket(nodes.node2.url, p.bob.token);
      await sleep(300);
      const seen = record(bob, "presence");
      const [tab1, tab2] = await Promise.all([
        connectSocket(nodes.node1.url, p.ana.token),
        connectSocket(nodes.node2.url, p.ana.token),
      ]);
      await eventually(() => expect(seen).toEqual([{ userId: p.ana.user.id, online: true }]));
      for (const tab of [tab1, tab2]) tab.disconnect();
      await eventually(() => expect(seen.at(-1)).toEqual({ userId: p.ana.user.id, online: false }));
      bob.disconnect();
    }
  });

  it("catch-up works whichever node the client reconnects to", async () => {
    const p = await pair(nodes.node1.url);
    const ana = await joined(nodes.node1.url, p.ana, p.room.id);
    const bob1 = await joined(nodes.node1.url, p.bob, p.room.id);
    const first = nextEvent(bob1, "receive_message");
    await call(ana, "send_message", { roomId: p.room.id, message: "seen" });
    const lastSeen = (await first).version;
    bob1.disconnect();
    await call(ana, "send_message", { roomId: p.room.id, message: "missed" });
    const bob2 = await joined(nodes.node2.url, p.bob, p.room.id);
    const sync = await call(bob2, "sync", { roomId: p.room.id, since: lastSeen });
    expect(sync.ok && sync.data.messages.map((m: Message) => m.message)).toEqual(["missed"]);
  });
});
