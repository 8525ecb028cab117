import { afterEach, beforeEach, expect, it, vi } from "vitest";

import { createRateLimits, DEFAULT_RATE_LIMITS, type RateLimitRules } from "./rate-limits.ts";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const rules: RateLimitRules = {
  ...DEFAULT_RATE_LIMITS,
  loginAccount: { points: 3, durationSec: 10, maxDurationSec: 40 },
  loginAddress: { points: 100, durationSec: 60, maxDurationSec: 60 },
};

async function refusal(attempt: Promise<unknown>) {
  try {
    await attempt;
  } catch (error) {
    return error as { code: string; extra: { retryAfter?: number } };
  }
  return undefined;
}

it("counts log-in attempts before any check; past the limit, waits grow and stay capped", async () => {
  const limits = createRateLimits(rules);
  const waits: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    for (let i = 0; i < 3; i += 1) await limits.loginAttempt("ana@example.com", "10.0.0.1");
    const refused = await refusal(limits.loginAttempt("ana@example.com", "10.0.0.1"));
    expect(refused?.code).toBe("TOO_MANY_REQUESTS");
    waits.push(refused!.extra.retryAfter!);
    vi.advanceTimersByTime(refused!.extra.retryAfter! * 1000);
  }
  expect(waits).toEqual([10, 20, 40, 40, 40]);
  // Another account is untouched.
  await expect(limits.loginAttempt("bob@example.com", "10.0.0.1")).resolves.toBeDefined();
});

it("concurrent attempts each take their own point: no more than the limit get through", async () => {
  const limits = createRateLimits(rules);
  const results = await Promise.allSettled(
    Array.from({ length: 100 }, () => limits.loginAttempt("ana@example.com", "10.0.0.1")),
  );
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
});

it("a success forgives the account, and gives the address its point back", async () => {
  const limits = createRateLimits({ ...rules, loginAddress: { points: 2, durationSec: 60, maxDurationSec: 60 } });
  for (let i = 0; i < 5; i += 1) {
    const attempt = await limits.loginAttempt(`user${i}@example.com`, "10.0.0.2");
    await attempt.succeeded();
  }
  await limits.loginAttempt("x@example.com", "10.0.0.2");
  await limits.loginAttempt("y@example.com", "10.0.0.2");
  expect((await refusal(limits.loginAttempt("z@example.com", "10.0.0.2")))?.extra.retryAfter).toBe(60);
});

it("sends share one budget per user", async () => {
  const limits = createRateLimits({ ...rules, sends: { points: 5, durationSec: 2 } });
  for (let i = 0; i < 5; i += 1) await limits.send(1);
  expect((await refusal(limits.send(1)))?.extra.retryAfter).toBe(2);
  await limits.send(2);
  vi.advanceTimersByTime(2000);
  await limits.send(1);
});
