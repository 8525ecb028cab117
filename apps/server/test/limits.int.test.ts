import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { PasswordHasher } from "../src/auth/passwords.ts";
import { DEFAULT_RATE_LIMITS } from "../src/limits/rate-limits.ts";
import { connectSocket, http, signUp, startServer, trpcClient, type TestServer, type TestUser } from "./harness.ts";
import { call } from "./realtime-helpers.ts";

/** The product's hasher, counting the passwords it checks. */
class CountingHasher extends PasswordHasher {
  checked = 0;
  override verify(hash: string | null, password: string) {
    this.checked += 1;
    return super.verify(hash, password);
  }
}

const ACCOUNT = DEFAULT_RATE_LIMITS.loginAccount.points;
let address = 0;
/** A client address of its own (the server trusts X-Forwarded-For from loopback, as behind a proxy). */
const fresh = () => ({ "x-forwarded-for": `10.1.${Math.floor(++address / 250)}.${address % 250}` });

describe("log-in", () => {
  let server: TestServer;
  let hasher: CountingHasher;
  let ana: TestUser;

  beforeAll(async () => {
    hasher = new CountingHasher();
    server = await startServer({ hasher });
    ana = await signUp(server.url, "ana");
  });
  afterAll(() => server.close());

  it(`100 concurrent tries at one account check at most ${ACCOUNT} passwords, and answer 429 with Retry-After`, async () => {
    const victim = await signUp(server.url, "victim");
    hasher.checked = 0;
    const tries = Array.from({ length: 100 }, (_, i) =>
      http(server.url).post(
        "/api/user/connexion",
        { email: victim.user.email, password: i === 99 ? victim.password : `guess ${i}` },
        fresh(),
      ),
    );
    const answers = await Promise.all(tries);
    expect(hasher.checked).toBeLessThanOrEqual(ACCOUNT);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(100 - ACCOUNT);
    for (const a of limited) {
      expect(Number(a.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(a.body.error).toMatchObject({
        code: "TOO_MANY_REQUESTS",
        retryAfter: Number(a.headers.get("retry-after")),
      });
    }
  });

  it(`a tRPC batch of log-ins counts each call: at most ${ACCOUNT} checked, retryAfter in the error data`, async () => {
    const victim = await signUp(server.url, "victim");
    hasher.checked = 0;
    const paths = Array.from({ length: 10 }, () => "user.login").join(",");
    const input = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [i, { email: victim.user.email, password: `guess ${i}` }]),
    );
    const res = await fetch(`${server.url}/trpc/${paths}?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json", ...fresh() },
      body: JSON.stringify(input),
    });
    const results = (await res.json()) as Array<{ error?: { data: { code: string; retryAfter?: number } } }>;
    expect(hasher.checked).toBeLessThanOrEqual(ACCOUNT);
    const limited = results.filter((r) => r.error?.data.code === "TOO_MANY_REQUESTS");
    expect(limited).toHaveLength(10 - ACCOUNT);
    expect(limited[0]!.error!.data.retryAfter).toBeGreaterThan(0);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("every spelling that reaches the account shares its counter; one that does not reach it, reaches nothing", async () => {
    const victim = await signUp(server.url, "victim");
    const [local, domain] = victim.user.email.split("@") as [string, string];
    const spellings = [
      victim.user.email.toUpperCase(),
      // Fullwidth letters: NFKC folds them to ASCII.
      `${local.replace("v", "\uFF56")}@${domain}`,
      ` ${victim.user.email} `,
    ];
    for (let i = 0; i < ACCOUNT; i += 1) {
      const res = await http(server.url).post(
        "/api/user/connexion",
        { email: spellings[i % spellings.length], password: "wrong guess" },
        fresh(),
      );
      expect(res.status).toBe(401);
    }
    const right = await http(server.url).post(
      "/api/user/connexion",
      { email: victim.user.email, password: victim.password },
      fresh(),
    );
    expect(right.status).toBe(429);
    // A dotted capital İ is not an i: it is another address, no account's.
    const dotted = await http(server.url).post(
      "/api/user/connexion",
      { email: victim.user.email.replace("i", "\u0130"), password: victim.password },
      fresh(),
    );
    expect(dotted.status).toBe(401);
  });

  it("an office behind one address: slowed after many failures, for a minute at most; the others' successes cost nothing", async () => {
    const office = fresh();
    for (let i = 0; i < 20; i += 1) {
      const ok = await http(server.url).post(
        "/api/user/connexion",
        { email: ana.user.email, password: ana.password },
        office,
      );
      expect(ok.status).toBe(200);
    }
    let last;
    for (let i = 0; i <= DEFAULT_RATE_LIMITS.loginAddress.points; i += 1) {
      last = await http(server.url).post(
        "/api/user/connexion",
        { email: `nobody${i}@example.com`, password: "wrong guess" },
        office,
      );
    }
    expect(last?.status).toBe(429);
    expect(Number(last?.headers.get("retry-after"))).toBeLessThanOrEqual(DEFAULT_RATE_LIMITS.loginAddress.durationSec);
  });
});

describe("sign-up", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({
      config: { rateLimits: { signupAddress: { points: 3, durationSec: 600, maxDurationSec: 3600 } } },
    });
  });
  afterAll(() => server.close());

  const body = (i: number) => ({
    username: `flood_${i}`,
    email: `flood.${i}@example.com`,
    password: "correct horse battery",
  });

  it("is limited per address, with Retry-After; another address still signs up", async () => {
    const flood = fresh();
    for (let i = 0; i < 3; i += 1) expect((await http(server.url).post("/api/user", body(i), flood)).status).toBe(201);
    const refused = await http(server.url).post("/api/user", body(3), flood);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await http(server.url).post("/api/user", body(4), fresh())).status).toBe(201);
  });

  it("a flood of sign-ups from many addresses does not starve a log-in of hashing", async () => {
    const ana = await signUp(server.url, "ana");
    const order: string[] = [];
    const flood = Array.from({ length: 30 }, (_, i) =>
      http(server.url)
        .post("/api/user", body(100 + i), fresh())
        .then((r) => order.push(`signup ${r.status}`)),
    );
    const login = http(server.url)
      .post("/api/user/connexion", { email: ana.user.email, password: ana.password }, fresh())
      .then((r) => {
        order.push("login");
        return r;
      });
    const [answer] = await Promise.all([login, ...flood]);
    expect(answer.status).toBe(200);
    // Sign-ups never hold every hashing slot: the log-in finishes among the first few, not after thirty.
    expect(order.indexOf("login")).toBeLessThan(5);
  });
});

describe("sends: one budget per user, every surface", () => {
  let server: TestServer;
  let ana: TestUser;
  let roomId: number;

  beforeAll(async () => {
    server = await startServer({ config: { rateLimits: { sends: { points: 6, durationSec: 600 } } } });
    ana = await signUp(server.url, "ana");
    const bob = await signUp(server.url, "bob");
    roomId = (await ana.api.post("/api/room/", { participant: bob.user.id })).body.id;
  });
  afterAll(() => server.close());

  it("REST, tRPC (batched) and socket sends spend one budget; past it each surface answers 429 with retryAfter", async () => {
    expect((await ana.api.post("/api/chat/", { roomId, message: "rest 1" })).status).toBe(201);
    expect((await ana.api.post("/api/chat/", { roomId, message: "rest 2" })).status).toBe(201);
    const trpc = trpcClient(server.url, ana.token);
    await trpc.message.send.mutate({ roomId, message: "trpc 1" });
    const socket = await connectSocket(server.url, ana.token);
    expect(await call(socket, "send_message", { roomId, message: "socket 1" })).toMatchObject({ ok: true });
    // A batch of four: two fit, two are refused.
    const paths = Array.from({ length: 4 }, () => "message.send").join(",");
    const input = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [i, { roomId, message: `batch ${i}` }]));
    const batch = await fetch(`${server.url}/trpc/${paths}?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ana.token}` },
      body: JSON.stringify(input),
    });
    const results = (await batch.json()) as Array<{ error?: { data: { code: string; retryAfter: number } } }>;
    expect(results.filter((r) => r.error?.data.code === "TOO_MANY_REQUESTS")).toHaveLength(2);

    const rest = await ana.api.post("/api/chat/", { roomId, message: "one too many" });
    expect(rest.status).toBe(429);
    expect(Number(rest.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(rest.body.error.retryAfter).toBe(Number(rest.headers.get("retry-after")));
    const ack = await call(socket, "send_message", { roomId, message: "one too many" });
    expect(ack).toMatchObject({ ok: false, error: { code: "TOO_MANY_REQUESTS", retryAfter: expect.any(Number) } });
    const stored = (await ana.api.get(`/api/chat/${roomId}`)).body as unknown[];
    expect(stored).toHaveLength(6);
  });
});
