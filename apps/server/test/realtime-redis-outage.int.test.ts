import { afterAll, describe, expect, it } from "vitest";

import { http, startTwoNodes, type TwoNodes } from "./harness.ts";
import { startPrivateRedis, until, type PrivateRedis } from "./processes.ts";
import { call, joined, pair, record } from "./realtime-helpers.ts";

let redis: PrivateRedis | undefined;
let nodes: TwoNodes | undefined;
afterAll(async () => {
  await nodes?.close();
  await redis?.stop();
});

describe("Redis going away under two nodes", () => {
  it("crashes no node: sends keep being answered, health says redis down, then events cross again", async () => {
    redis = await startPrivateRedis();
    nodes = await startTwoNodes(redis.url);
    const { node1, node2 } = nodes;
    const p = await pair(node1.url);
    const ana = await joined(node1.url, p.ana, p.room.id);
    const bob = await joined(node2.url, p.bob, p.room.id);
    const heard: number[] = [];
    bob.on("receive_message", (m) => heard.push(m.id));
    const versions = record(bob, "room_versions");
    const health = http(node1.url);
    expect((await health.get("/api/health")).body).toMatchObject({ status: "ok", redis: "up" });

    // Sends in flight while Redis dies: a publish rejected then was an unhandled rejection (the
    // test run fails on one), and the process would have exited.
    let sending = true;
    let acked = 0;
    const sender = (async () => {
      for (let i = 0; sending; i += 1) {
        const ack = await call(ana, "send_message", { roomId: p.room.id, message: `during ${i}` });
        expect(ack.ok).toBe(true);
        acked += 1;
      }
    })();
    await until(() => Promise.resolve(acked >= 5), 10_000, "sends before the outage");
    await redis.stop();
    await until(async () => (await health.get("/api/health")).body.redis === "down", 10_000, "health: redis down");
    expect((await health.get("/api/health")).body).toMatchObject({ status: "degraded", database: "up" });
    const before = acked;
    await until(() => Promise.resolve(acked >= before + 20), 10_000, "sends answered while Redis is down");
    sending = false;
    await sender;
    // Rooms, REST and the other node still answer.
    expect((await p.bob.api.get(`/api/room/${p.room.id}`)).status).toBe(200);

    redis = await startPrivateRedis(redis.port);
    await until(async () => (await health.get("/api/health")).body.redis === "up", 20_000, "health: redis up");
    await until(async () => (await http(node2.url).get("/api/health")).body.redis === "up", 20_000, "node 2 back");
    // What crossed no node meanwhile: Bob's socket learns the room's version once Redis is back
    // (not in 30 s: right away), and a client behind it catches up.
    const latest = (await p.bob.api.get(`/api/room/${p.room.id}/changes?since=0`)).body.version as number;
    await until(
      () => Promise.resolve(versions.some((v) => v.rooms.some((r) => r.roomId === p.room.id && r.version >= latest))),
      10_000,
      "room_versions after Redis came back",
    );
    const ack = await call(ana, "send_message", { roomId: p.room.id, message: "after" });
    expect(ack.ok).toBe(true);
    await until(() => Promise.resolve(ack.ok && heard.includes(ack.data.id)), 10_000, "a message crosses nodes again");
  });
});
