import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { TestServer } from "@causette/server/test-harness";

import type { Room } from "../src/index.ts";
import { FlakyNetwork, sdkUser, twoInARoom, urlOf, type SdkUser } from "./helpers.ts";

let server: TestServer;
let ana: SdkUser;
let bob: SdkUser;
let room: Room;

beforeAll(async () => {
  ({ server, ana, bob, room } = await twoInARoom());
});
afterAll(() => server.close());

describe("a send whose answer is lost", () => {
  it("over HTTP: the first attempt times out after the server stored it; the retry gets the same message", async () => {
    const sendBodies: string[] = [];
    let lost = 0;
    // The first send reaches the server, which stores the message; its answer never comes back.
    const flaky: typeof fetch = async (input, init) => {
      const url = urlOf(input);
      if (!url.includes("message.send")) return fetch(input, init);
      sendBodies.push(typeof init?.body === "string" ? init.body : "");
      if (sendBodies.length > 1) return fetch(input, init);
      const { signal, ...rest } = init ?? {};
      const response = await fetch(input, rest);
      expect(response.status).toBe(200);
      lost += 1;
      return new Promise<Response>((_resolve, reject) =>
        signal?.addEventListener("abort", () => reject(signal.reason as Error)),
      );
    };
    const chat = ana.chat;
    const flakyChat = (await import("../src/index.ts")).createChatClient({
      url: server.url,
      token: chat.auth.token(),
      fetch: flaky,
      timeout: 500,
      retryDelay: 50,
    });

    const sent = await flakyChat.messages.send({ roomId: room.id, message: "sent once" });
    expect(lost).toBe(1);
    expect(sendBodies).toHaveLength(2);
    const [first, second] = sendBodies.map((b) => JSON.parse(b) as { clientId: string });
    expect(first!.clientId).toBe(sent.clientId);
    expect(second!.clientId).toBe(sent.clientId);

    const stored = (await bob.chat.messages.list({ roomId: room.id })).filter((m) => m.message === "sent once");
    expect(stored).toEqual([sent]);
  });

  it("over HTTP: gives up with TIMEOUT after the last retry, still one message stored", async () => {
    let attempts = 0;
    const black: typeof fetch = async (input, init) => {
      if (!urlOf(input).includes("message.send")) return fetch(input, init);
      attempts += 1;
      const { signal, ...rest } = init ?? {};
      await fetch(input, rest);
      return new Promise<Response>((_resolve, reject) =>
        signal?.addEventListener("abort", () => reject(signal.reason as Error)),
      );
    };
    const { createChatClient } = await import("../src/index.ts");
    const chat = createChatClient({
      url: server.url,
      token: ana.chat.auth.token(),
      fetch: black,
      timeout: 300,
      retries: 2,
      retryDelay: 20,
    });
    await expect(chat.messages.send({ roomId: room.id, message: "never answered" })).rejects.toMatchObject({
      code: "TIMEOUT",
      status: 0,
    });
    expect(attempts).toBe(3);
    const stored = (await bob.chat.messages.list({ roomId: room.id })).filter((m) => m.message === "never answered");
    expect(stored).toHaveLength(1);
  });

  it("over the socket: the ack is lost after the server stored it; the retry resolves with the one stored message", async () => {
    const network = new FlakyNetwork();
    const carol = await sdkUser(server.url, "carol", { WebSocket: network.WebSocket, timeout: 500, retryDelay: 50 });
    const carolRoom = await carol.chat.rooms.create({ participant: bob.user.id });
    await carol.chat.realtime.connect();
    network.dropNextAck();
    const sent = await carol.chat.realtime.sendMessage({ roomId: carolRoom.id, message: "acked once" });
    expect(sent).toMatchObject({ sender: carol.user.id, message: "acked once" });
    const stored = await bob.chat.messages.list({ roomId: carolRoom.id });
    expect(stored).toEqual([sent]);
  });
});
