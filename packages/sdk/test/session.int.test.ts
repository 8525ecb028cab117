import { afterAll, beforeAll, expect, it } from "vitest";

import type { TestServer } from "@causette/server/test-harness";

import { ChatError, createChatClient } from "../src/index.ts";
import { sdkUser, twoInARoom, type SdkUser } from "./helpers.ts";

let server: TestServer;
let ana: SdkUser;

beforeAll(async () => {
  ({ server, ana } = await twoInARoom());
});
afterAll(() => server.close());

it("a log-out of every session elsewhere ends this client's real time with UNAUTHORIZED, within 1 s", async () => {
  await ana.chat.realtime.connect();
  const elsewhere = createChatClient({ url: server.url });
  await elsewhere.auth.login({ email: ana.email, password: ana.password });
  const refused = new Promise<{ error: ChatError; at: number }>((resolve) =>
    ana.chat.realtime.on("error", (error) => resolve({ error, at: Date.now() })),
  );
  const disconnected = new Promise<void>((resolve) => ana.chat.realtime.on("disconnect", () => resolve()));
  const before = Date.now();
  await elsewhere.auth.logout({ all: true });
  const { error, at } = await refused;
  expect(error).toBeInstanceOf(ChatError);
  expect(error.code).toBe("UNAUTHORIZED");
  expect(at - before).toBeLessThan(1000);
  await disconnected;
  expect(ana.chat.realtime.connected).toBe(false);
  await expect(ana.chat.users.me()).rejects.toMatchObject({ code: "UNAUTHORIZED", status: 401 });
});

it("a rate-limited call carries retryAfter on the ChatError", async () => {
  const bob = await sdkUser(server.url, "bob");
  let refusal: unknown;
  for (let i = 0; i < 10 && !refusal; i += 1) {
    await bob.chat.auth.login({ email: bob.email, password: "wrong guess" }).catch((error: unknown) => {
      if (ChatError.is(error) && error.code === "TOO_MANY_REQUESTS") refusal = error;
    });
  }
  expect(refusal).toMatchObject({ code: "TOO_MANY_REQUESTS", status: 429, retryAfter: expect.any(Number) });
});
