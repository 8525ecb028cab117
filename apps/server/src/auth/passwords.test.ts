import { expect, it } from "vitest";

import { PasswordHasher } from "./passwords.ts";

it("a log-in waiting behind a flood of sign-ups is served before them", async () => {
  const hasher = new PasswordHasher(2, { login: 256, signup: 64 });
  const finished: string[] = [];
  const signups = Array.from({ length: 20 }, (_, i) =>
    hasher.hash(`password ${i}`).then(() => finished.push(`signup ${i}`)),
  );
  const login = hasher.verify(null, "whatever").then(() => finished.push("login"));
  await Promise.all([...signups, login]);
  // Sign-ups hold at most one slot: the log-in runs at once beside the first, not after all twenty.
  expect(finished.indexOf("login")).toBeLessThanOrEqual(2);
});

it("refuses sign-ups past their own queue with a retry hint, while log-ins still queue", async () => {
  const hasher = new PasswordHasher(2, { login: 8, signup: 2 });
  const accepted = Array.from({ length: 3 }, (_, i) => hasher.hash(`password ${i}`));
  await expect(hasher.hash("one too many")).rejects.toMatchObject({
    code: "TOO_MANY_REQUESTS",
    extra: { retryAfter: 1 },
  });
  await expect(hasher.verify(null, "still served")).resolves.toBe(false);
  await Promise.all(accepted);
});
