import { io as ioClient } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";

import { type Message } from "@causette/contracts";

import { nextEvent } from "./harness.ts";
import { eventually, joined, pair, useServer } from "./realtime-helpers.ts";

const server = useServer();

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
