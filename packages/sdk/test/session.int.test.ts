import { afterAll, beforeAll, expect, it } from "vitest";

import type { TestServer } from "@causette/server/test-harness";

import { ChatError } from "../src/index.ts";
import { sdkUser, twoInARoom } from "./helpers.ts";

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
