import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createRateLimits, DEFAULT_RATE_LIMITS, type RateLimitStore } from "../src/limits/rate-limits.ts";
import { env, http, signUp, startTwoNodes, type TwoNodes } from "./harness.ts";

if (!env.redisUrl) {
  process.stdout.write("limits-redis: skipped, REDIS_URL is unset (shared counters need a real Redis)\n");
}

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

describe.skipIf(!env.redisUrl)("two app nodes with REDIS_URL: the log-in limit holds across them", () => {
  let nodes: TwoNodes;

  beforeAll(async () => {
    nodes = await startTwoNodes(env.redisUrl!);
  });
  afterAll(() => nodes.close());

  it(`wrong passwords at one account, alternating between the nodes: the ${DEFAULT_RATE_LIMITS.loginAccount.points + 1}th is refused on either`, async () => {
    const victim = await signUp(nodes.node1.url, "victim");
    const urls = [nodes.node1.url, nodes.node2.url];
    const statuses: number[] = [];
    // One at a time, each from an address of its own: only the account's counter can refuse them.
    for (let i = 0; i < DEFAULT_RATE_LIMITS.loginAccount.points + 2; i++) {
      const answer = await http(urls[i % 2]!).post(
        "/api/user/connexion",
        { email: victim.user.email, password: `guess ${i}` },
        { "x-forwarded-for": `10.3.0.${i + 1}` },
      );
      statuses.push(answer.status);
    }
    const allowed = DEFAULT_RATE_LIMITS.loginAccount.points;
    expect(statuses.slice(0, allowed).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(allowed)).toEqual([429, 429]);
    // The right password is refused too, on the node that has seen fewer tries.
    const right = await http(nodes.node2.url).post(
      "/api/user/connexion",
      { email: victim.user.email, password: victim.password },
      { "x-forwarded-for": "10.3.1.1" },
    );
    expect(right.status).toBe(429);
  });
});
