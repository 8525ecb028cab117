import { expect, it } from "vitest";

import { LoginLimiter } from "./login-limiter.ts";

it("blocks an email after its failures, only for the window, and not other emails", () => {
  let now = 0;
  const limiter = new LoginLimiter(
    { email: { max: 3, windowMs: 60_000 }, address: { max: 100, windowMs: 60_000 } },
    () => now,
  );
  for (let i = 0; i < 3; i += 1) limiter.failed("Ana@example.com", "1.1.1.1");
  expect(limiter.retryAfter("ana@example.com", "2.2.2.2")).toBe(60);
  expect(limiter.retryAfter("bob@example.com", "1.1.1.1")).toBe(0);
  now = 60_000;
  expect(limiter.retryAfter("ana@example.com", "2.2.2.2")).toBe(0);
});

it("blocks an address that fails across many emails", () => {
  let now = 0;
  const limiter = new LoginLimiter(
    { email: { max: 100, windowMs: 1000 }, address: { max: 5, windowMs: 10_000 } },
    () => now,
  );
  for (let i = 0; i < 5; i += 1) limiter.failed(`user${i}@example.com`, "9.9.9.9");
  now = 2_500;
  expect(limiter.retryAfter("new@example.com", "9.9.9.9")).toBe(8);
  expect(limiter.retryAfter("new@example.com", "8.8.8.8")).toBe(0);
});

it("a success clears the email's count", () => {
  const limiter = new LoginLimiter({ email: { max: 2, windowMs: 60_000 }, address: { max: 100, windowMs: 60_000 } });
  limiter.failed("a@example.com", "1.1.1.1");
  limiter.succeeded("a@example.com");
  limiter.failed("a@example.com", "1.1.1.1");
  expect(limiter.retryAfter("a@example.com", "1.1.1.1")).toBe(0);
});
