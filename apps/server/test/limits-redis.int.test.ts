import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createRateLimits, DEFAULT_RATE_LIMITS, type RateLimitStore } from "../src/limits/rate-limits.ts";
import { env } from "./harness.ts";

describe.skipIf(!env.redisUrl)("rate limits in Redis: every node counts against the same budget", () => {
  let redis: ReturnType<typeof createClient>;
  let store: RateLimitStore;

  beforeAll(async () => {
    redis = createClient({ url: env.redisUrl });
    await redis.connect();
    store = { kind: "redis", redis, keyPrefix: `causette-test-${randomBytes(6).toString("hex")}` };
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("concurrent log-in attempts on two nodes at one account: no more than the limit get through", async () => {
    const nodes = [createRateLimits(DEFAULT_RATE_LIMITS, store), createRateLimits(DEFAULT_RATE_LIMITS, store)];
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => nodes[i % 2]!.loginAttempt("ana@example.com", `10.2.0.${i}`)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(DEFAULT_RATE_LIMITS.loginAccount.points);
    const refused = results.find((r) => r.status === "rejected");
    expect(refused?.status === "rejected" && refused.reason).toMatchObject({
      code: "TOO_MANY_REQUESTS",
      extra: { retryAfter: expect.any(Number) },
    });
  });

  it("a user's sends on two nodes share one budget", async () => {
    const rules = { ...DEFAULT_RATE_LIMITS, sends: { points: 4, durationSec: 60 } };
    const [a, b] = [createRateLimits(rules, store), createRateLimits(rules, store)];
    await a.send(7);
    await b.send(7);
    await a.send(7);
    await b.send(7);
    await expect(a.send(7)).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    await expect(b.send(7)).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    await a.send(8);
  });
});
