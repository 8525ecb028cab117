import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startPrivateRedis, type PrivateRedis } from "@causette/server/test-processes";

import {
  DB_TIMEOUT_MS,
  rawReceiver,
  room,
  sdkReceiver,
  startNode,
  startPrivatePostgres,
  startSenders,
  stored,
  until,
  type NodeProcess,
  type PrivatePostgres,
  type Receiver,
  type Sender,
} from "./kit.ts";

/**
 * Fault injection (issue 9): a PostgreSQL and a Redis of the test's own, two server nodes as
 * production runs them, senders on every surface retrying with their clientId, receivers on both
 * nodes (raw socket.io following the README's rule, and the SDK). Each scenario asserts: nothing
 * acknowledged lost, nothing doubled, versions 1..N, every receiver has every message exactly once
 * within 30 s of the fault's end, no node crashed, no answer slower than the deadline plus 1 s.
 */
let postgres: PrivatePostgres;
let redis: PrivateRedis;
beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
});
afterAll(async () => {
  await Promise.all([postgres?.close(), redis?.stop()]);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  nodes: NodeProcess[];
  senders: Sender[];
  receivers: Receiver[];
  people: Awaited<ReturnType<typeof room>>;
}

async function begin(): Promise<Run> {
  const nodes = [
    await startNode({ dbUrl: postgres.url, redisUrl: redis.url }),
    await startNode({ dbUrl: postgres.url, redisUrl: redis.url }),
  ];
  const people = await room(nodes[0]!.url);
  const { bob, ana, roomId } = people;
  const receivers = [
    rawReceiver(nodes[0]!.url, bob.token, roomId, "raw on node 1"),
    rawReceiver(nodes[1]!.url, bob.token, roomId, "raw on node 2"),
    await sdkReceiver(nodes[0]!.url, bob.token, roomId, "sdk on node 1"),
    await sdkReceiver(nodes[1]!.url, bob.token, roomId, "sdk on node 2"),
  ];
  const senders = startSenders(
    nodes.map((n) => n.url),
    ana,
    roomId,
  );
  // The burst is under way before the fault.
  await until(() => Promise.resolve(senders.every((s) => s.log.acked.length >= 3)), 30_000, "the burst");
  return { nodes, senders, receivers, people };
}

/** Stops the senders a little after the fault's end, then checks every promise of SPEC's Guarantees. */
async function finish(run: Run, crashedOnPurpose: NodeProcess[] = []): Promise<void> {
  await sleep(2_000);
  // No node crashed (the exit code and the end of its standard error otherwise).
  for (const node of run.nodes) if (!crashedOnPurpose.includes(node)) expect(node.exit()).toBeNull();
  await Promise.all(run.senders.map((s) => s.stop()));
  const { messages, version } = await stored(run.people.bob, run.people.roomId);
  // Versions 1..N; nothing doubled.
  expect(messages.map((m) => m.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
  expect(new Set(messages.map((m) => m.clientId)).size).toBe(messages.length);
  // Nothing acknowledged lost.
  const ids = new Set(messages.map((m) => m.id));
  const acked = run.senders.flatMap((s) => s.log.acked);
  expect(acked.filter((m) => !ids.has(m.id))).toEqual([]);
  // Every receiver has every message, exactly once, within 30 s.
  const all = messages.map((m) => m.id).sort((a, b) => a - b);
  await until(
    () => Promise.resolve(run.receivers.every((r) => r.delivered.length >= all.length)),
    30_000,
    "every receiver to have every message",
  ).catch(() => undefined);
  for (const receiver of run.receivers) {
    expect({ receiver: receiver.name, ids: [...receiver.delivered].sort((a, b) => a - b) }).toEqual({
      receiver: receiver.name,
      ids: all,
    });
  }
  // Still none crashed; no answer slower than the deadline plus 1 s.
  for (const node of run.nodes) if (!crashedOnPurpose.includes(node)) expect(node.exit()).toBeNull();
  for (const sender of run.senders) expect(sender.log.slowestAnswerMs).toBeLessThanOrEqual(DB_TIMEOUT_MS + 1_000);
  for (const receiver of run.receivers) receiver.close();
  await Promise.all(run.nodes.map((n) => n.kill()));
}

describe("delivery under faults", () => {
  it("kill -9 PostgreSQL mid-burst", async () => {
    const run = await begin();
    await postgres.kill();
    await sleep(3_000);
    await postgres.start();
    await finish(run);
  });

  it("PostgreSQL frozen (SIGSTOP) for 15 s", async () => {
    const run = await begin();
    postgres.freeze();
    await sleep(15_000);
    postgres.thaw();
    await finish(run);
  });

  it("kill -9 one of two nodes mid-burst", async () => {
    const run = await begin();
    const [, victim] = run.nodes;
    await victim!.kill();
    await sleep(2_000);
    // Restarted on its port, as a supervisor would: its clients reconnect and catch up.
    const restarted = await startNode({ dbUrl: postgres.url, redisUrl: redis.url, port: victim!.port });
    run.nodes.push(restarted);
    await finish(run, [victim!]);
  });

  it("kill -9 Redis for 10 s under two nodes", async () => {
    const run = await begin();
    await redis.stop();
    await sleep(10_000);
    redis = await startPrivateRedis(redis.port);
    await finish(run);
  });

  it("a client that stops reading is dropped and the node's memory stays bounded", async () => {
    const run = await begin();
    const node = run.nodes[0]!;
    const rss = () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${node.child.pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
    const gauge = async () =>
      Number(/^causette_socket_connections (\d+)/m.exec(await (await fetch(`${node.url}/metrics`)).text())?.[1]);
    const stuck = rawReceiver(node.url, run.people.bob.token, run.people.roomId, "never reads");
    await until(() => Promise.resolve(stuck.connected()), 10_000, "the stuck client connected");
    stuck.pauseReading();
    const baseline = rss();
    // 8 KB messages from every surface, far past what the kernel buffers for the stuck client.
    const heavy = startSenders([node.url], run.people.ana, run.people.roomId, 20, "é".repeat(4_000));
    await until(() => Promise.resolve(heavy.every((s) => s.log.acked.length > 0)), 30_000, "the heavy senders");
    // Every client is connected now (the heavy ones included): the stuck one is still among them.
    const connected = await gauge();
    let peak = baseline;
    await until(
      async () => {
        peak = Math.max(peak, rss());
        return (await gauge()) < connected;
      },
      60_000,
      "the stuck client to be dropped",
    );
    await Promise.all(heavy.map((s) => s.stop()));
    expect(peak - baseline).toBeLessThan(150 * 1024 * 1024);
    stuck.close();
    await finish(run);
  });
});
