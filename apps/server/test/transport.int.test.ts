import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { ErrorBodySchema } from "@causette/contracts";

import { MAX_BATCH_SIZE } from "../src/app.ts";
import { http, signUp, startServer, type TestServer, type TestUser } from "./harness.ts";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;
let roomId: number;

beforeAll(async () => {
  server = await startServer();
  ana = await signUp(server.url, "ana");
  bob = await signUp(server.url, "bob");
  roomId = (await ana.api.post("/api/room/", { participant: bob.user.id })).body.id;
});
afterAll(() => server.close());

async function raw(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
) {
  const response = await fetch(`${server.url}${path}`, { method, ...init });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

describe("query strings of any shape", () => {
  const routes = ["/api/health", "/api/user/me", "/api/user/", "/api/room/", `/api/chat/1`, "/api/chat/search"];
  it.each([
    "constructor=1",
    "__proto__=x",
    "__proto__[a]=1",
    "toString=1",
    "hasOwnProperty=1",
    "limit=1&limit=2",
    "q=a&q=b",
  ])("?%s answers 4xx (or 200) naming the key, never 5xx, on every route", async (query) => {
    for (const path of routes) {
      const res = await raw("GET", `${path}?${query}`, { headers: { authorization: `Bearer ${ana.token}` } });
      expect(res.status, `${path}?${query}`).toBeLessThan(500);
      if (res.status >= 400) expect(ErrorBodySchema.parse(res.body).error.code).not.toBe("INTERNAL_SERVER_ERROR");
    }
    const health = await raw("GET", `/api/health?${query}`);
    expect(health.status).toBe(400);
    expect(health.body.error.issues.map((i: { path: string }) => i.path).join()).toMatch(
      /constructor|__proto__|toString|hasOwnProperty|limit|q/,
    );
  });

  it("a repeated key is refused naming it", async () => {
    const res = await ana.api.get(`/api/user/?limit=1&limit=2`);
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toBe("limit");
  });

  it("a body key named __proto__ or constructor is refused by name", async () => {
    const res = await ana.api.post("/api/chat/", `{"roomId":${roomId},"message":"x","__proto__":{"admin":true}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain("__proto__");
    const ctor = await ana.api.post("/api/chat/", { roomId, message: "x", constructor: 1 });
    expect(ctor.status).toBe(400);
    expect(ctor.body.error.issues.map((i: { path: string }) => i.path)).toContain("constructor");
  });
});

describe("writes take a JSON body only", () => {
  it.each([
    ["text/plain", `{"roomId":1,"message":"hi"}`],
    ["application/x-www-form-urlencoded", "roomId=1&message=hi"],
    ["multipart/form-data; boundary=x", '--x\r\ncontent-disposition: form-data; name="message"\r\n\r\nhi\r\n--x--\r\n'],
  ])("a %s send answers 415 and stores nothing", async (type, body) => {
    const res = await raw("POST", "/api/chat/", {
      headers: { authorization: `Bearer ${ana.token}`, "content-type": type },
      body: body.replace("1", String(roomId)),
    });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect((await ana.api.get(`/api/chat/${roomId}`)).body).toHaveLength(0);
  });

  it("never takes a write's input from the query string", async () => {
    const res = await ana.api.post(`/api/chat/?roomId=${roomId}&message=hi`, {});
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["roomId"]);
    const mixed = await ana.api.post(`/api/chat/?message=hi`, { roomId });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.issues[0].path).toBe("message");
    expect((await ana.api.get(`/api/chat/${roomId}`)).body).toHaveLength(0);
  });

  it("a JSON send still works, with a charset too", async () => {
    const res = await raw("POST", "/api/chat/", {
      headers: { authorization: `Bearer ${ana.token}`, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ roomId, message: "json" }),
    });
    expect(res.status).toBe(201);
  });
});

describe("malformed transport input", () => {
  it("a body marked gzip that is not gzip answers 400", async () => {
    const res = await raw("POST", "/api/user/connexion", {
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: '{"email":"a@example.com","password":"whatever1"}',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("BAD_REQUEST");
  });

  it("a real gzip body is read; an unknown encoding or charset answers 415", async () => {
    const gz = await raw("POST", "/api/user/connexion", {
      headers: { "content-type": "application/json", "content-encoding": "gzip", "x-forwarded-for": "10.9.9.9" },
      body: gzipSync(JSON.stringify({ email: ana.user.email, password: ana.password })),
    });
    expect(gz.status).toBe(200);
    const unknown = await raw("POST", "/api/user/connexion", {
      headers: { "content-type": "application/json", "content-encoding": "zstd-ish" },
      body: "{}",
    });
    expect(unknown.status).toBe(415);
    expect(unknown.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    const charset = await raw("POST", "/api/user/connexion", {
      headers: { "content-type": "application/json; charset=klingon" },
      body: "{}",
    });
    expect(charset.status).toBe(415);
  });

  it("a malformed percent-escape in the path answers 400", async () => {
    const res = await raw("GET", "/api/user/id/%E0%A4%A", { headers: { authorization: `Bearer ${ana.token}` } });
    expect(res.status).toBe(400);
  });

  it("tRPC: a mutation over GET answers 405, a wrong content type 415, never INTERNAL_SERVER_ERROR", async () => {
    const get = await raw("GET", "/trpc/user.login");
    expect(get.status).toBe(405);
    expect(get.body.error.data.code).toBe("METHOD_NOT_SUPPORTED");
    const text = await raw("POST", "/trpc/user.login", { headers: { "content-type": "text/plain" }, body: "{}" });
    expect(text.status).toBe(415);
    expect(text.body.error.data.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    const gzip = await raw("POST", "/trpc/user.login", {
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: "{}",
    });
    expect(gzip.status).toBe(400);
  });

  it(`tRPC: a batch of more than ${MAX_BATCH_SIZE} calls is refused with 400 before any runs`, async () => {
    const paths = Array.from({ length: MAX_BATCH_SIZE + 1 }, () => "message.send").join(",");
    const input = Object.fromEntries(
      Array.from({ length: MAX_BATCH_SIZE + 1 }, (_, i) => [i, { roomId, message: `batched ${i}` }]),
    );
    const res = await raw("POST", `/trpc/${paths}?batch=1`, {
      headers: { authorization: `Bearer ${ana.token}`, "content-type": "application/json" },
      body: JSON.stringify(input),
    });
    expect(res.status).toBe(400);
    const messages = (await ana.api.get(`/api/chat/${roomId}`)).body as Array<{ message: string }>;
    expect(messages.filter((m) => m.message.startsWith("batched"))).toHaveLength(0);
    const ok = await raw("POST", `/trpc/${paths.split(",").slice(0, MAX_BATCH_SIZE).join(",")}?batch=1`, {
      headers: { authorization: `Bearer ${ana.token}`, "content-type": "application/json" },
      body: JSON.stringify(input),
    });
    expect(ok.status).toBe(200);
  });
});

describe("hardening headers", () => {
  it("every answer: nosniff, no framing, a CSP, no x-powered-by", async () => {
    for (const path of ["/api/health", "/api/docs", "/api/openapi.json", "/api/nowhere"]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get("x-powered-by")).toBeNull();
    }
  });

  it("the log-in answer, which carries the token, is never cached (REST and tRPC)", async () => {
    const res = await http(server.url).post(
      "/api/user/connexion",
      { email: ana.user.email, password: ana.password },
      { "x-forwarded-for": "10.9.9.8" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const trpc = await raw("POST", "/trpc/user.login", {
      headers: { "content-type": "application/json", "x-forwarded-for": "10.9.9.7" },
      body: JSON.stringify({ email: ana.user.email, password: ana.password }),
    });
    expect(trpc.status).toBe(200);
    expect(trpc.headers.get("cache-control")).toBe("no-store");
  });
});
