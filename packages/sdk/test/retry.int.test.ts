import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { TestServer } from "@causette/server/test-harness";

import type { Room } from "../src/index.ts";
import { FlakyNetwork, sdkUser, twoInARoom, until, urlOf, type SdkUser } from "./helpers.ts";

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

describe("per-call options", () => {
  /** A fetch that counts the calls to `procedure` and runs `answer` for them (the rest go through). */
  function counting(
    procedure: string,
    answer: (n: number, input: RequestInfo | URL, init?: RequestInit) => Promise<Response>,
  ) {
    const counter = { calls: 0 };
    const wrapped: typeof fetch = (input, init) => {
      if (!urlOf(input).includes(procedure)) return fetch(input, init);
      counter.calls += 1;
      return answer(counter.calls, input, init);
    };
    return { counter, fetch: wrapped };
  }
  const unreachable = () => Promise.reject(new TypeError("fetch failed"));
  /** Never answers; rejects when the SDK aborts the request. */
  const blackHole = (_n: number, _input: RequestInfo | URL, init?: RequestInit) =>
    new Promise<Response>((_resolve, reject) =>
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason as Error)),
    );
  const client = async (f: typeof fetch, options: { timeout?: number; retries?: number } = {}) =>
    (await import("../src/index.ts")).createChatClient({
      url: server.url,
      token: ana.chat.auth.token(),
      fetch: f,
      retryDelay: 10,
      ...options,
    });

  it("retries a read after network errors, and gives a write one attempt unless maxRetries says more", async () => {
    const reads = counting("room.list", (n, input, init) => (n < 3 ? unreachable() : fetch(input, init)));
    const rooms = await (await client(reads.fetch)).rooms.list();
    expect(rooms.map((r) => r.id)).toContain(room.id);
    expect(reads.counter.calls).toBe(3);

    const writes = counting("room.update", unreachable);
    const chat = await client(writes.fetch);
    await expect(chat.rooms.update({ id: room.id, topic: "x" })).rejects.toMatchObject({ code: "NETWORK" });
    expect(writes.counter.calls).toBe(1);
    await expect(chat.rooms.update({ id: room.id, topic: "x" }, { maxRetries: 2 })).rejects.toMatchObject({
      code: "NETWORK",
    });
    expect(writes.counter.calls).toBe(4);

    const noRetry = counting("room.list", unreachable);
    await expect((await client(noRetry.fetch)).rooms.list({}, { maxRetries: 0 })).rejects.toMatchObject({
      code: "NETWORK",
    });
    expect(noRetry.counter.calls).toBe(1);
  });

  it("a call's signal aborts it at once with ABORTED, retries included; an aborted signal sends nothing", async () => {
    const hole = counting("message.list", blackHole);
    const chat = await client(hole.fetch, { timeout: 60_000 });
    const controller = new AbortController();
    const listing = chat.messages.list({ roomId: room.id }, { signal: controller.signal });
    await until(() => hole.counter.calls === 1, 5_000, "the request to start");
    controller.abort();
    await expect(listing).rejects.toMatchObject({ name: "ChatError", code: "ABORTED", status: 0 });
    expect(hole.counter.calls).toBe(1);

    const refused = counting("message.list", unreachable);
    const during = new AbortController();
    const retrying = (await client(refused.fetch, { retries: 50 })).messages.list(
      { roomId: room.id },
      { signal: during.signal },
    );
    await until(() => refused.counter.calls >= 2, 5_000, "a retry");
    during.abort();
    await expect(retrying).rejects.toMatchObject({ code: "ABORTED" });
    const callsAtAbort = refused.counter.calls;
    expect(callsAtAbort).toBeLessThan(50);

    const before = hole.counter.calls;
    await expect(chat.messages.list({ roomId: room.id }, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: "ABORTED",
    });
    expect(hole.counter.calls).toBe(before);
  });

  it("a call's timeout overrides the client's", async () => {
    const hole = counting("user.me", blackHole);
    const chat = await client(hole.fetch, { timeout: 60_000 });
    const started = Date.now();
    await expect(chat.users.me({ timeout: 100, maxRetries: 1 })).rejects.toMatchObject({ code: "TIMEOUT" });
    expect(hole.counter.calls).toBe(2);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
