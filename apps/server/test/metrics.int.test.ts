import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { env, http, startServer, trpcClient, type TestServer } from "./harness.ts";
import { call, eventually, pairJoined, record } from "./realtime-helpers.ts";

/** Prometheus text as `name{labels}` -> value (comments and help lines dropped). */
async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const moved = (before: Map<string, number>, after: Map<string, number>, key: string) =>
  (after.get(key) ?? 0) - (before.get(key) ?? 0);

describe("/metrics", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("counts known traffic by exactly what it was", async () => {
    const { p, ana, bob } = await pairJoined(server.url);
    const anaReceived = record(ana, "receive_message");
    const bobReceived = record(bob, "receive_message");
    const before = await scrape(server.url);
    expect(before.get("causette_socket_connections")).toBe(2);

    for (const text of ["one", "two", "three"]) {
      expect(await call(ana, "send_message", { roomId: p.room.id, message: text })).toMatchObject({ ok: true });
    }
    for (const text of ["four", "five"]) {
      expect((await p.bob.api.post("/api/chat/", { roomId: p.room.id, message: text })).status).toBe(201);
    }
    expect((await http(server.url).get("/api/no-such-route")).status).toBe(404);
    await trpcClient(server.url, p.ana.token).user.me.query();
    // Ana's socket sends are acked, not echoed: Bob gets five, Ana the two REST ones.
    await eventually(() => {
      expect(bobReceived).toHaveLength(5);
      expect(anaReceived).toHaveLength(2);
    });

    const after = await scrape(server.url);
    const count = (labels: string) => moved(before, after, `causette_http_request_duration_seconds_count{${labels}}`);
    expect(count('method="POST",route="/api/chat/",status="201"')).toBe(2);
    expect(count('method="GET",route="unmatched",status="404"')).toBe(1);
    expect(count('method="GET",route="/trpc/user.me",status="200"')).toBe(1);
    expect(moved(before, after, 'causette_socket_events_received_total{event="send_message"}')).toBe(3);
    expect(moved(before, after, 'causette_socket_events_sent_total{event="receive_message"}')).toBe(7);
    expect(moved(before, after, "causette_messages_stored_total")).toBe(5);
    // Every send went through one statement or another: the batch sizes add up to the sends.
    expect(moved(before, after, "causette_send_batch_size_sum")).toBe(5);
    const batches = moved(before, after, "causette_send_batch_size_count");
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(batches).toBeLessThanOrEqual(5);
    expect(moved(before, after, 'causette_db_query_duration_seconds_count{outcome="ok"}')).toBeGreaterThanOrEqual(5);
    expect(after.get('causette_db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(0);
    expect(after.get('causette_db_pool_connections{state="waiting"}')).toBe(0);
    expect(after.get('causette_event_loop_delay_seconds{quantile="0.99"}')).toBeGreaterThan(0);
    expect(after.has("process_cpu_user_seconds_total")).toBe(true);
    expect(after.has("nodejs_heap_size_used_bytes")).toBe(true);
    expect(after.has("causette_redis_up")).toBe(false);

    bob.disconnect();
    await eventually(async () => expect((await scrape(server.url)).get("causette_socket_connections")).toBe(1));
  });
});

describe.skipIf(!env.redisUrl)("/metrics with Redis", () => {
  it("reports Redis connected, and serves nothing on the app's port when METRICS_PORT is set", async () => {
    const server = await startServer({
      config: { redisUrl: env.redisUrl, redisKey: `causette-test-${randomBytes(6).toString("hex")}` },
    });
    try {
      expect((await scrape(server.url)).get("causette_redis_up")).toBe(1);
    } finally {
      await server.close();
    }
    const separate = await startServer({ config: { metricsPort: 0 } });
    try {
      expect((await fetch(`${separate.url}/metrics`)).status).toBe(404);
    } finally {
      await separate.close();
    }
  });
});
