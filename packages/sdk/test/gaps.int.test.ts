import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startServer, storeWithoutEvent, type TestServer } from "@causette/server/test-harness";

import type { Message, Room } from "../src/index.ts";
import { collect, sdkUser, until, type SdkUser } from "./helpers.ts";

let server: TestServer;
let ana: SdkUser;
let bob: SdkUser;
let room: Room;

beforeAll(async () => {
  // Versions every second, so that the test waits one second rather than thirty.
  server = await startServer({ config: { roomVersionsIntervalMs: 1_000 } });
  ana = await sdkUser(server.url, "ana");
  bob = await sdkUser(server.url, "bob");
  room = await ana.chat.rooms.create({ participant: bob.user.id });
  await bob.chat.realtime.connect();
  await bob.chat.realtime.joinRoom(room.id);
});
afterAll(() => server.close());

const storedSilently = (message: string): Promise<Message> =>
  storeWithoutEvent(server, { roomId: room.id, sender: ana.user.id, message, clientId: null });

describe("a change whose live event never came", () => {
  it("is fetched after room_versions says the room moved on, and delivered once", async () => {
    const received = collect(bob.chat, "receive_message");
    const lost = await storedSilently("never broadcast");
    await until(() => received.length === 1, 10_000, "the catch-up after room_versions");
    expect(received[0]).toMatchObject({ id: lost.id, version: lost.version, message: "never broadcast" });
  });

  it("is noticed by the version jump of the next live event, and delivered before it", async () => {
    const received = collect(bob.chat, "receive_message");
    const lost = await storedSilently("lost before the next");
    const next = await ana.chat.messages.send({ roomId: room.id, message: "the next" });
    expect(next.version).toBe(lost.version + 1);
    await until(() => received.length === 2, 10_000, "both messages");
    expect(received.map((m) => m.id)).toEqual([lost.id, next.id]);
    // Nothing is delivered twice, whatever rounds of room_versions came meanwhile (one a second).
    expect(new Set(received.map((m) => m.id)).size).toBe(received.length);
  });
});
