import type { Socket as TcpSocket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { MAX_QUEUED_EVENTS } from "../src/realtime/handlers.ts";
import { roomChannel } from "../src/realtime/types.ts";
import { startServer, type TestServer } from "./harness.ts";
import { until } from "./processes.ts";
import { call, joined, pair } from "./realtime-helpers.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** The TCP connection under a socket.io client's WebSocket transport. */
function tcpOf(socket: unknown): TcpSocket {
  return (socket as { io: { engine: { transport: { ws: { _socket: TcpSocket } } } } }).io.engine.transport.ws._socket;
}

describe("bounded work per socket", () => {
  it("disconnects a client that stops reading, once its send buffer passes 1 MB; the others keep theirs", async () => {
    const p = await pair(server.url);
    const reader = await joined(server.url, p.ana, p.room.id);
    const stuck = await joined(server.url, p.bob, p.room.id);
    const io = server.app.realtime.io;
    const before = io.of("/").sockets.size;
    // Bob's client stops reading its connection (its process is still there, the socket open).
    tcpOf(stuck).pause();
    let received = 0;
    reader.on("receive_message", () => (received += 1));
    // 8 KB events to the room, far more than the kernel's buffers hold.
    const body = "x".repeat(8_000);
    const message = (await p.ana.api.post("/api/chat/", { roomId: p.room.id, message: "seed" })).body;
    for (let i = 0; i < 3_000; i += 1)
      io.to(roomChannel(p.room.id)).emit("receive_message", { ...message, message: body });
    await until(() => Promise.resolve(io.of("/").sockets.size === before - 1), 15_000, "the stuck socket dropped");
    await until(() => Promise.resolve(received >= 3_000), 30_000, "the reading client to get everything");
    expect(reader.connected).toBe(true);
  });

  it(`refuses a socket's events past ${MAX_QUEUED_EVENTS} waiting, as they arrive`, async () => {
    const p = await pair(server.url);
    const socket = await joined(server.url, p.ana, p.room.id);
    // Pipelined, no waiting: the first ones are still queued when the last arrive.
    const acks = await Promise.all(
      Array.from({ length: MAX_QUEUED_EVENTS + 50 }, (_, i) =>
        call(socket, "sync", { roomId: p.room.id, since: i }, 30_000),
      ),
    );
    const refused = acks.filter((a) => !a.ok && a.error.code === "TOO_MANY_REQUESTS");
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(50);
    expect(acks.filter((a) => a.ok).length).toBeGreaterThanOrEqual(MAX_QUEUED_EVENTS);
  });
});
