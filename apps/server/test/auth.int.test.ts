import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { http, signUp, startServer, trpcClient, TRPCClientError, type TestServer, type TestUser } from "./harness.ts";

let server: TestServer;
let ana: TestUser;

beforeAll(async () => {
  server = await startServer();
  ana = await signUp(server.url, "ana");
});
afterAll(() => server.close());

const anonymous = () => http(server.url);

describe("sign up: POST /api/user", () => {
  it("creates the user and never returns the password", async () => {
    const res = await anonymous().post("/api/user", {
      username: "bob_signup",
      email: "Bob.Signup@example.com",
      password: "correct horse",
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      username: "bob_signup",
      email: "Bob.Signup@example.com",
      createdAt: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/password|argon/i);
    expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
  });

  it("refuses a taken email or username, whatever the case, naming the field", async () => {
    const email = await anonymous().post("/api/user", {
      username: "someone_else",
      email: ana.user.email.toUpperCase(),
      password: "correct horse",
    });
    expect(email.status).toBe(409);
    expect(email.body.error).toMatchObject({ code: "CONFLICT", issues: [{ path: "email" }] });
    const username = await anonymous().post("/api/user", {
      username: ana.user.username.toUpperCase(),
      email: "fresh@example.com",
      password: "correct horse",
    });
    expect(username.status).toBe(409);
    expect(username.body.error.issues[0].path).toBe("username");
  });

  it.each([
    [{ email: "x@example.com", password: "correct horse" }, "username"],
    [{ username: "carl", email: "not-an-email", password: "correct horse" }, "email"],
    [{ username: "carl", email: "carl@example.com", password: "short" }, "password"],
    [{ username: "carl", email: "carl@example.com", password: "x".repeat(129) }, "password"],
    [{ username: "carl", email: "carl@example.com", password: 12345678 }, "password"],
    [{ username: "carl", email: "carl@example.com", password: "correct horse", admin: true }, "admin"],
  ])("answers 400 naming the field for %j", async (body, field) => {
    const res = await anonymous().post("/api/user", body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("BAD_REQUEST");
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(field);
  });

  it("answers 400, never 500, for text PostgreSQL cannot store", async () => {
    const login = await anonymous().post("/api/user/connexion", {
      email: "a\u0000@example.com",
      password: "whatever1",
    });
    expect(login.status).toBe(400);
    expect(login.body.error.issues[0].path).toBe("email");
    const search = await ana.api.get(`/api/user/?search=${encodeURIComponent("a\u0000")}`);
    expect(search.status).toBe(400);
  });

  it("answers 400 for malformed JSON and a body that is not an object", async () => {
    const malformed = await anonymous().post("/api/user", '{"username": "x",');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("BAD_REQUEST");
    const array = await anonymous().post("/api/user", "[1,2]");
    expect(array.status).toBe(400);
  });

  it("answers 413 for a body over the limit", async () => {
    const res = await anonymous().post("/api/user", {
      username: "big",
      email: "big@example.com",
      password: "x".repeat(100_000),
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("log in: POST /api/user/connexion", () => {
  it("answers the token and the user, and sets an httpOnly signed cookie", async () => {
    const res = await anonymous().post("/api/user/connexion", { email: ana.user.email, password: ana.password });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ token: expect.any(String), user: ana.user });
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^token=s%3A/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
    const decoded = jwt.decode(res.body.token, { complete: true });
    expect(decoded?.header.alg).toBe("HS256");
    expect(decoded?.payload).toMatchObject({ sub: String(ana.user.id), exp: expect.any(Number) });
  });

  it("answers the same 401 for an unknown email and a wrong password", async () => {
    const unknown = await anonymous().post(
      "/api/user/connexion",
      { email: "nobody@example.com", password: "whatever1" },
      { "x-forwarded-for": "10.0.0.1" },
    );
    const wrong = await anonymous().post(
      "/api/user/connexion",
      { email: ana.user.email, password: "wrong password" },
      { "x-forwarded-for": "10.0.0.1" },
    );
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  it("the cookie alone authenticates, and log-out clears it", async () => {
    const login = await anonymous().post("/api/user/connexion", { email: ana.user.email, password: ana.password });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const me = await anonymous().get("/api/user/me", { cookie });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(ana.user.id);
    const out = await anonymous().post("/api/user/deconnexion", {}, { cookie });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toMatch(/^token=;/);
  });

  it("refuses a cookie whose signature is not ours", async () => {
    const forged = `token=${encodeURIComponent(`s:${ana.token}.not-the-signature`)}`;
    expect((await anonymous().get("/api/user/me", { cookie: forged })).status).toBe(401);
    expect((await anonymous().get("/api/user/me", { cookie: `token=${ana.token}` })).status).toBe(401);
  });

  it("rate limits repeated failures per email with Retry-After, without touching other accounts", async () => {
    const victim = await signUp(server.url, "victim");
    let last = await anonymous().post("/api/user/connexion", { email: victim.user.email, password: "wrong password" });
    for (let i = 0; i < 12 && last.status !== 429; i += 1) {
      last = await anonymous().post("/api/user/connexion", { email: victim.user.email, password: "wrong password" });
    }
    expect(last.status).toBe(429);
    expect(last.body.error.code).toBe("TOO_MANY_REQUESTS");
    const retryAfter = Number(last.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(300);
    const other = await anonymous().post("/api/user/connexion", { email: ana.user.email, password: ana.password });
    expect(other.status).toBe(200);
  });
});

describe("tokens", () => {
  const secret = () => server.config.jwtSecret;
  const forged: Array<[string, () => string]> = [
    [
      "alg none",
      () =>
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify({ sub: String(ana.user.id), exp: Math.floor(Date.now() / 1000) + 3600 })).toString("base64url")}.`,
    ],
    [
      "another secret",
      () => jwt.sign({}, "another-secret-of-sufficient-length-000", { subject: String(ana.user.id), expiresIn: "1h" }),
    ],
    [
      "expired",
      () => jwt.sign({ exp: Math.floor(Date.now() / 1000) - 10 }, secret(), { subject: String(ana.user.id) }),
    ],
    [
      "HS512 with our secret",
      () => jwt.sign({}, secret(), { algorithm: "HS512", subject: String(ana.user.id), expiresIn: "1h" }),
    ],
    ["tampered signature", () => `${ana.token.slice(0, -4)}${ana.token.endsWith("AAAA") ? "BBBB" : "AAAA"}`],
    [
      "tampered payload",
      () => {
        const [h, , s] = ana.token.split(".");
        return `${h}.${Buffer.from(JSON.stringify({ sub: "999", exp: 9999999999 })).toString("base64url")}.${s}`;
      },
    ],
    ["no exp", () => jwt.sign({ sub: String(ana.user.id) }, secret())],
    ["garbage", () => "not.a.jwt"],
  ];

  it.each(forged)("refuses a token with %s on REST and tRPC", async (_name, make) => {
    const token = make();
    const rest = await http(server.url, token).get("/api/user/me");
    expect(rest.status).toBe(401);
    expect(rest.body.error.code).toBe("UNAUTHORIZED");
    await expect(trpcClient(server.url, token).user.me.query()).rejects.toMatchObject({
      data: { code: "UNAUTHORIZED", httpStatus: 401 },
    });
  });

  it("accepts the real one", async () => {
    expect((await ana.api.get("/api/user/me")).body).toEqual(ana.user);
  });
});

describe("users", () => {
  it("GET /api/user/id/:id answers the user, 404 when none, 400 for a bad id", async () => {
    expect((await ana.api.get(`/api/user/id/${ana.user.id}`)).body).toEqual(ana.user);
    const missing = await ana.api.get("/api/user/id/999999");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("NOT_FOUND");
    expect((await ana.api.get("/api/user/id/3000000000")).status).toBe(404);
    expect((await ana.api.get("/api/user/id/99999999999999999999")).status).toBe(400);
    expect((await ana.api.get("/api/user/id/-1")).status).toBe(400);
    // Ids beyond 32 bits reach bigint columns: a clean 404, never an overflow error.
    expect((await ana.api.post("/api/chat/", { roomId: 3000000000, message: "hi" })).status).toBe(404);
    expect((await ana.api.get("/api/chat/3000000000")).status).toBe(404);
    expect((await ana.api.get("/api/chat/search?q=hi&roomId=3000000000")).status).toBe(404);
    expect((await ana.api.post("/api/room/", { participant: 3000000000 })).status).toBe(404);
    const bad = await ana.api.get("/api/user/id/abc");
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe("id");
  });

  it("GET /api/user/ lists by id with search and keyset paging", async () => {
    const zoe = await signUp(server.url, "zoelist");
    const found = await ana.api.get(`/api/user/?search=zoelist`);
    expect(found.status).toBe(200);
    expect(found.body).toEqual([zoe.user]);
    const byEmail = await ana.api.get(`/api/user/?search=${encodeURIComponent(zoe.user.email.toUpperCase())}`);
    expect(byEmail.body).toEqual([zoe.user]);
    const noWildcards = await ana.api.get(`/api/user/?search=${encodeURIComponent("%_")}`);
    expect(noWildcards.body).toEqual([]);

    const first = await ana.api.get("/api/user/?limit=2");
    expect(first.body).toHaveLength(2);
    const next = await ana.api.get(`/api/user/?limit=2&after=${first.body[1].id}`);
    expect(next.body[0].id).toBeGreaterThan(first.body[1].id);
    expect((await ana.api.get("/api/user/?limit=0")).status).toBe(400);
    expect((await ana.api.get("/api/user/?limit=1000")).status).toBe(400);
    expect((await ana.api.get("/api/user/?sort=name")).body.error.issues[0].path).toBe("sort");
  });

  it("tRPC serves the same procedures with the same errors", async () => {
    const client = trpcClient(server.url, ana.token);
    expect(await client.user.me.query()).toEqual(ana.user);
    expect(await client.user.get.query({ id: ana.user.id })).toEqual(ana.user);
    const error = await client.user.get.query({ id: 999999 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(error).toMatchObject({ data: { code: "NOT_FOUND", httpStatus: 404 } });
    const bad = await trpcClient(server.url)
      .user.register.mutate({ username: "x", email: "bad", password: "short" })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({
      data: { code: "BAD_REQUEST", issues: expect.arrayContaining([expect.objectContaining({ path: "email" })]) },
    });
  });
});

describe("system", () => {
  it("GET /api/health answers the database status", async () => {
    const res = await anonymous().get("/api/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", database: "up" });
  });

  it("an unknown route answers a 404 error body", async () => {
    const res = await anonymous().get("/api/nothing-here");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("NOT_FOUND");
  });

  it("serves the OpenAPI document and the docs page", async () => {
    const doc = await anonymous().get("/api/openapi.json");
    expect(doc.body.openapi).toBe("3.1.0");
    expect(doc.body.paths["/api/user/connexion"].post.requestBody.content["application/json"].schema.required).toEqual([
      "email",
      "password",
    ]);
    expect(doc.body.components.schemas.User).toBeDefined();
    const page = await fetch(`${server.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("swagger-ui-bundle.js");
    expect((await fetch(`${server.url}/api/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });
});
