import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";

import { createEmptyDatabase } from "@causette/server/test-database";
import { env, http } from "@causette/server/test-harness";
import { productionInstall, sparePort, startPrivateRedis, type PrivateRedis } from "@causette/server/test-processes";

import { createChatClient, type ChatClient, type ChatError, type Message, type Room } from "../src/index.ts";
import { until } from "./helpers.ts";

/**
 * The reference deployment of deploy/, for real: nginx in front of two production-installed nodes
 * over PostgreSQL and Redis, started, restarted one node at a time and stopped by its scripts,
 * with SDK clients connected through nginx the whole time.
 */

const run = promisify(execFile);
const DEPLOY_DIR = fileURLToPath(new URL("../../../deploy/", import.meta.url));

/** What the scripts run (bash, setsid, node, nginx), from where Debian puts it, and this node. */
const PATH = [dirname(process.execPath), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
const nginx = PATH.map((dir) => join(dir, "nginx")).find((path) => existsSync(path));
const skipped = !nginx
  ? "nginx is not installed (apt-get install nginx)"
  : !env.dbUrl
    ? "DB_URL is unset (the nodes share a real PostgreSQL)"
    : !env.redisUrl
      ? "REDIS_URL is unset (the nodes share a real Redis)"
      : undefined;
if (skipped) process.stdout.write(`rolling-restart: skipped, ${skipped}\n`);

const USERS = 20;
const GROUP_SIZE = 5;
/** Messages per second, over every sender. */
const RATE = 200;
const MAX_GAP_MS = 5_000;

interface Client {
  chat: ChatClient;
  userId: number;
  room: Room;
  /** How many times each message id arrived as receive_message. */
  received: Map<number, number>;
  disconnects: number;
  longestGapMs: number;
}

describe.skipIf(skipped)("nginx in front of two nodes (deploy/)", () => {
  let dir: string;
  let runDir: string;
  let database: { url: string; drop(): Promise<void> };
  let redis: PrivateRedis;
  let nodePorts: number[];
  let proxy: string;
  let deployEnv: NodeJS.ProcessEnv;
  const users: Array<{ id: number; email: string; password: string }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "causette-nginx-"));
    runDir = join(dir, "run");
    await productionInstall(join(dir, "app"));
    database = await createEmptyDatabase(env.dbUrl!);
    // A Redis of its own: the deployment's rate-limit counters start empty on every run.
    redis = await startPrivateRedis();
    nodePorts = [await sparePort(), await sparePort()];
    const proxyPort = await sparePort();
    proxy = `http://127.0.0.1:${proxyPort}`;
    deployEnv = {
      PATH: PATH.join(":"),
      NODE_ENV: "production",
      DB_URL: database.url,
      REDIS_URL: redis.url,
      JWT: "a-rolling-restart-test-secret-000000000000",
      COOKIE: "a-rolling-restart-test-cookie-secret-0000000",
      NODE_PORTS: nodePorts.join(" "),
      PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
      RUN_DIR: runDir,
      SERVER_DIR: join(dir, "app"),
      DATA_DIR: join(dir, "data"),
      // SIGTERM must end a node within 10 s: the scripts fail past that.
      STOP_TIMEOUT: "10",
      ...(nginx ? { NGINX_BIN: nginx } : {}),
    };
    await run(join(DEPLOY_DIR, "start.sh"), [], { env: deployEnv });

    // Signed up at a node, each from an address of its own (the node trusts X-Forwarded-For from
    // loopback): through nginx they would all come from 127.0.0.1, past the sign-up limit.
    const node = http(`http://127.0.0.1:${nodePorts[0]}`);
    for (let i = 0; i < USERS; i += 1) {
      const email = `rolling${i}.${Date.now()}@example.com`;
      const password = "correct horse battery";
      const signedUp = await node.post(
        "/api/user",
        { username: `rolling_${i}_${Date.now()}`, email, password },
        { "x-forwarded-for": `10.20.0.${i + 1}` },
      );
      expect(signedUp.status).toBe(201);
      users.push({ id: (signedUp.body as { id: number }).id, email, password });
    }
  }, 300_000);

  /** The end of each log of the deployment, to tell why a run failed. */
  async function printLogs() {
    for (const name of ["nginx/error.log", "node-1.log", "node-2.log"]) {
      const text = await readFile(join(runDir, name), "utf8").catch(() => "");
      process.stdout.write(`--- ${name} (end)\n${text.split("\n").slice(-15).join("\n")}\n`);
    }
  }

  afterAll(async () => {
    if (runDir && existsSync(join(runDir, "deploy.env"))) {
      await run(join(DEPLOY_DIR, "stop.sh"), [], { env: deployEnv }).catch((error: unknown) => {
        process.stdout.write(`rolling-restart: deploy/stop.sh failed: ${String(error)}\n`);
      });
    }
    await redis?.stop();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it(`a rolling restart of both nodes under ${RATE} msg/s loses nothing acknowledged, doubles nothing, and no client is away ${MAX_GAP_MS / 1000} s`, async () => {
    onTestFailed(printLogs);
    // Everyone logs in through nginx; groups of five, each user in one.
    const chats: ChatClient[] = [];
    for (const user of users) {
      const chat = createChatClient({ url: proxy, transports: ["websocket"], retries: 6 });
      await chat.auth.login({ email: user.email, password: user.password });
      chats.push(chat);
    }
    const clients: Client[] = [];
    for (let g = 0; g < USERS / GROUP_SIZE; g += 1) {
      const members = users.slice(g * GROUP_SIZE, (g + 1) * GROUP_SIZE);
      const room = await chats[g * GROUP_SIZE]!.rooms.createGroup({
        name: `rolling ${g}`,
        participants: members.slice(1).map((m) => m.id),
      });
      for (const [i, member] of members.entries()) {
        const chat = chats[g * GROUP_SIZE + i]!;
        clients.push({ chat, userId: member.id, room, received: new Map(), disconnects: 0, longestGapMs: 0 });
      }
    }
    for (const client of clients) {
      const { chat, room } = client;
      let since: number | undefined;
      chat.realtime.on("disconnect", () => {
        client.disconnects += 1;
        since = Date.now();
      });
      chat.realtime.on("connect", () => {
        if (since !== undefined) client.longestGapMs = Math.max(client.longestGapMs, Date.now() - since);
        since = undefined;
      });
      chat.realtime.on("receive_message", (message) => {
        if (message.roomId === room.id) client.received.set(message.id, (client.received.get(message.id) ?? 0) + 1);
      });
      await chat.realtime.connect();
      await chat.realtime.joinRoom(room.id);
    }

    // Senders at RATE messages per second in all, each message with its clientId; one that fails
    // is sent again with the same clientId, as an app does, until it is acknowledged.
    const acked = new Map<string, Message>();
    let sent = 0;
    const failures = new Map<string, number>();
    let sending = true;
    function send(client: Client, text: string): void {
      client.chat.realtime.sendMessage({ roomId: client.room.id, message: text, clientId: text }).then(
        (message) => void acked.set(text, message),
        (error: ChatError) => {
          failures.set(error.code, (failures.get(error.code) ?? 0) + 1);
          setTimeout(() => send(client, text), (error.retryAfter ?? 0.2) * 1000);
        },
      );
    }
    const started = Date.now();
    const ticker = setInterval(() => {
      if (!sending) return;
      // Catch up with the schedule: a late timer sends more, so the rate holds on a busy machine.
      const due = Math.floor(((Date.now() - started) * RATE) / 1000);
      while (sent < due) {
        const client = clients[sent % USERS]!;
        send(client, `m${sent}`);
        sent += 1;
      }
    }, 20);

    try {
      await until(() => acked.size >= RATE, 30_000, "the first second of messages");
      const restart = await run(join(DEPLOY_DIR, "rolling-restart.sh"), [], { env: deployEnv });
      expect(restart.stdout).toMatch(/node 1 stopped \(exit 0\)[\s\S]*node 2 stopped \(exit 0\)/);
      const afterRestart = acked.size;
      await until(() => acked.size >= afterRestart + RATE, 30_000, "a second of messages after the restart");
    } finally {
      sending = false;
      clearInterval(ticker);
    }
    const elapsedS = (Date.now() - started) / 1000;
    await until(() => acked.size === sent, 60_000, "every send acknowledged");
    const byRoom = new Map<number, Message[]>();
    for (const message of acked.values()) byRoom.set(message.roomId, [...(byRoom.get(message.roomId) ?? []), message]);
    await until(
      () => clients.every((c) => byRoom.get(c.room.id)!.every((m) => c.received.has(m.id) || m.sender === c.userId)),
      60_000,
      "every client to have every message of its group",
    );
    process.stdout.write(
      `rolling-restart: ${sent} messages in ${elapsedS.toFixed(1)} s (${(sent / elapsedS).toFixed(0)}/s), ` +
        `sent again after ${JSON.stringify(Object.fromEntries(failures))}, ` +
        `time away per client (ms): ${clients.map((c) => `${c.disconnects}x/${c.longestGapMs}`).join(" ")}\n`,
    );

    expect(sent / elapsedS).toBeGreaterThan(RATE * 0.9);
    for (const client of clients) {
      // Every client was on a node that restarted, came back within the limit...
      expect(client.disconnects).toBeGreaterThanOrEqual(1);
      expect(client.longestGapMs).toBeLessThan(MAX_GAP_MS);
      // ...and got every other member's message exactly once.
      const others = byRoom.get(client.room.id)!.filter((m) => m.sender !== client.userId);
      expect(others.filter((m) => client.received.get(m.id) !== 1)).toEqual([]);
    }

    // What the database holds: every acknowledged message as acknowledged, each text once.
    for (const [roomId, messages] of byRoom) {
      const reader = clients.find((c) => c.room.id === roomId)!.chat;
      const stored: Message[] = [];
      for (let page = await reader.messages.list({ roomId, limit: 200 }); page.length > 0;) {
        stored.unshift(...page);
        page = await reader.messages.list({ roomId, limit: 200, before: page[0]!.id });
      }
      expect(stored.length).toBe(messages.length);
      expect(new Set(stored.map((m) => m.message)).size).toBe(stored.length);
      const storedById = new Map(stored.map((m) => [m.id, m]));
      for (const message of messages) expect(storedById.get(message.id)?.message).toBe(message.message);
    }
    for (const client of clients) client.chat.realtime.disconnect();
  }, 300_000);

  it("the log-in limit holds across both nodes through nginx, and each answer names nginx's request id", async () => {
    const victim = users[USERS - 1]!;
    const tries: Array<{ status: number; requestId: string | null }> = [];
    for (let i = 0; i < 7; i += 1) {
      const answer = await fetch(`${proxy}/api/user/connexion`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: victim.email, password: `guess ${i}` }),
      });
      await answer.arrayBuffer();
      tries.push({ status: answer.status, requestId: answer.headers.get("x-request-id") });
    }
    expect(tries.map((t) => t.status)).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // nginx's access log says which node answered each (by the request id it gave it).
    const log = await readFile(join(runDir, "nginx/access.log"), "utf8");
    const nodeOf = (id: string | null) =>
      new RegExp(`upstream=127\\.0\\.0\\.1:(\\d+)/\\d+ id=${id}$`, "m").exec(log)?.[1];
    const answeredBy = new Set(tries.slice(0, 5).map((t) => Number(nodeOf(t.requestId))));
    expect(answeredBy).toEqual(new Set(nodePorts));
  }, 60_000);
});
