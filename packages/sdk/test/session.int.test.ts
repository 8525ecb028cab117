import { afterAll, beforeAll, expect, it } from "vitest";

import type { TestServer } from "@causette/server/test-harness";

import { ChatError, createChatClient } from "../src/index.ts";
import { collect, next, sdkUser, twoInARoom, until } from "./helpers.ts";

let server: TestServer;

beforeAll(async () => {
  ({ server } = await twoInARoom());
});
afterAll(() => server.close());

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

it("a session revoked elsewhere ends the client's real time within 1 s: one UNAUTHORIZED error, disconnected, no reconnect", async () => {
  const cleo = await sdkUser(server.url, "cleo");
  await cleo.chat.realtime.connect();
  const errors = collect(cleo.chat, "error");
  const connects = collect(cleo.chat, "connect");
  const dropped = next(cleo.chat, "disconnect");
  // The same account logs out everywhere from another client.
  const elsewhere = createChatClient({ url: server.url });
  await elsewhere.auth.login({ email: cleo.email, password: cleo.password });
  const started = Date.now();
  await elsewhere.auth.logout({ all: true });
  await dropped;
  expect(Date.now() - started).toBeLessThan(1000);
  await until(() => errors.length > 0, 5_000, "the UNAUTHORIZED error");
  expect(errors.map((e) => e.code)).toEqual(["UNAUTHORIZED"]);
  expect(cleo.chat.realtime.connected).toBe(false);
  // Nothing tries again with the dead token: a later connect() is the app's call, refused too.
  await expect(cleo.chat.realtime.connect()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  expect(connects).toEqual([]);
});
