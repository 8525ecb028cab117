import { afterAll, describe, expect, it } from "vitest";

import { createTestDatabase } from "./database.ts";
import { env, http, startServer, type TestServer } from "./harness.ts";
import { startPrivateRedis, until } from "./processes.ts";

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function start(...args: Parameters<typeof startServer>) {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}

describe("health", () => {
  it("live answers while the process runs; ready and /api/health report the database", async () => {
    const server = await start();
    const api = http(server.url);
    expect(await api.get("/api/health/live")).toMatchObject({ status: 200, body: { status: "ok" } });
    const ready = await api.get("/api/health/ready");
    expect(ready).toMatchObject({ status: 200, body: { status: "ready", database: "up" } });
    expect(ready.body).not.toHaveProperty("redis");
    expect(await api.get("/api/health")).toMatchObject({ status: 200, body: { status: "ok", database: "up" } });
  });

  it("ready answers 503 when the database is gone, while live still answers", async () => {
    const db = await createTestDatabase(env.dbUrl);
    const server = await start({ db });
    const api = http(server.url);
    await db.destroy();
    expect(await api.get("/api/health/ready")).toMatchObject({
      status: 503,
      body: { status: "unavailable", database: "down" },
    });
    expect(await api.get("/api/health/live")).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("ready reports Redis when configured: 503 while it is down, ready again once it is back", async () => {
    let redis = await startPrivateRedis();
    // Closed before its Redis stops: a node waits for Redis to come back before it quits it.
    const server = await startServer({ config: { redisUrl: redis.url } });
    try {
      const api = http(server.url);
      expect(await api.get("/api/health/ready")).toMatchObject({
        status: 200,
        body: { status: "ready", database: "up", redis: "up" },
      });
      await redis.stop();
      await until(
        async () => (await api.get("/api/health/ready")).status === 503,
        10_000,
        "ready to notice Redis down",
      );
      expect((await api.get("/api/health/ready")).body).toEqual({
        status: "unavailable",
        database: "up",
        redis: "down",
      });
      expect((await api.get("/api/health/live")).status).toBe(200);
      redis = await startPrivateRedis(redis.port);
      await until(async () => (await api.get("/api/health/ready")).status === 200, 20_000, "ready once Redis is back");
    } finally {
      await server.close();
      await redis.stop();
    }
  });

  it("the OpenAPI document lists live and ready", async () => {
    const server = servers[0]!;
    const doc = await http(server.url).get("/api/openapi.json");
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(["/api/health/live", "/api/health/ready"]));
  });
});
