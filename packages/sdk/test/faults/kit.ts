import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { Socket as TcpSocket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { io as ioClient, type Socket } from "socket.io-client";

import type { ClientToServerEvents, Message, ServerToClientEvents } from "@causette/contracts";
import { signUp, trpcClient, type TestUser } from "@causette/server/test-harness";
import { exited, sparePort, until } from "@causette/server/test-processes";

import { createChatClient, type ChatClient } from "../../src/index.ts";

export { until };

/** The deadline of every database call in the nodes under test, and how often they send room_versions. */
export const DB_TIMEOUT_MS = 2_000;
const ROOM_VERSIONS_INTERVAL_MS = 5_000;

const POSTGRES_BIN = "/usr/lib/postgresql/15/bin";
const SERVER_DIR = fileURLToPath(new URL("../../../../apps/server/", import.meta.url));

/** As user postgres when we are root (PostgreSQL refuses to run as root). */
function asPostgres(command: string, args: string[], detached = false): ChildProcess {
  const root = process.getuid?.() === 0;
  return spawn(root ? "runuser" : command, root ? ["-u", "postgres", "--", command, ...args] : args, {
    stdio: ["ignore", "ignore", "pipe"],
    detached,
  });
}

export interface PrivatePostgres {
  url: string;
  /** kill -9 of the postmaster and every backend. */
  kill(): Promise<void>;
  freeze(): void;
  thaw(): void;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A PostgreSQL cluster of the test's own (initdb on a spare port), which the test may kill or freeze. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), "causette-pg-"));
  const data = join(dir, "data");
  if (process.getuid?.() === 0) await exited(spawn("chown", ["postgres", dir]));
  const init = asPostgres(`${POSTGRES_BIN}/initdb`, ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
  let initErrors = "";
  init.stderr!.on("data", (chunk: Buffer) => (initErrors += chunk.toString()));
  if ((await exited(init)) !== 0) throw new Error(`initdb failed: ${initErrors}`);
  const port = await sparePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | undefined;
  const ready = async () =>
    (await exited(spawn(`${POSTGRES_BIN}/pg_isready`, ["-q", "-h", "127.0.0.1", "-p", String(port), "-t", "1"]))) === 0;
  const group = (signal: NodeJS.Signals) => {
    if (server?.pid) process.kill(-server.pid, signal);
  };
  const cluster: PrivatePostgres = {
    url,
    async start() {
      server = asPostgres(
        `${POSTGRES_BIN}/postgres`,
        ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        true,
      );
      await until(ready, 30_000, "the private PostgreSQL to accept connections");
    },
    async kill() {
      const running = server;
      group("SIGKILL");
      if (running) await exited(running);
      server = undefined;
    },
    freeze: () => group("SIGSTOP"),
    thaw: () => group("SIGCONT"),
    async close() {
      group("SIGCONT");
      await cluster.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}

export interface NodeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** The exit code (or signal) once it has exited: null while it runs. */
  exit(): string | null;
  kill(): Promise<void>;
}

/** A server node as production runs it (its own process, main.ts), on `port`. */
export async function startNode(vars: { dbUrl: string; redisUrl: string; port?: number }): Promise<NodeProcess> {
  const port = vars.port ?? (await sparePort());
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@causette/source", "src/main.ts"], {
    cwd: SERVER_DIR,
    stdio: ["ignore", "ignore", "pipe"],
    // Only what the node is given: nothing of the test's own environment.
    env: {
      NODE_ENV: "test",
      PORT: String(port),
      DB_URL: vars.dbUrl,
      REDIS_URL: vars.redisUrl,
      JWT: "fault-test-jwt-secret-that-is-long-enough-0000",
      COOKIE: "fault-test-cookie-secret-that-is-long-enough-00",
      LOG_LEVEL: "warn",
      DB_TIMEOUT_MS: String(DB_TIMEOUT_MS),
      ROOM_VERSIONS_INTERVAL_MS: String(ROOM_VERSIONS_INTERVAL_MS),
    },
  });
  let exit: string | null = null;
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.on("exit", (code, signal) => (exit = `${code ?? signal} ${stderr.slice(-2000)}`));
  const url = `http://127.0.0.1:${port}`;
  await until(
    async () => exit === null && (await fetch(`${url}/api/health/live`)).ok,
    60_000,
    `node on port ${port} to start`,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}: ${exit ?? stderr}`);
  });
  return {
    url,
    port,
    child,
    exit: () => exit,
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
  };
}

type RawSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What a sender got acknowledged, and how long its slowest answer took. */
export interface SenderLog {
  acked: Message[];
  slowestAnswerMs: number;
  failures: number;
}

/** One sender on one surface: sends until stopped, each message retried with its clientId until acknowledged. */
export interface Sender {
  log: SenderLog;
  stop(): Promise<void>;
}

type Attempt = (input: { roomId: number; message: string; clientId: string }) => Promise<Message>;

function runSender(
  roomId: number,
  label: string,
  attempt: Attempt,
  perSecond: number,
  timed = true,
  text?: string,
): Sender {
  const log: SenderLog = { acked: [], slowestAnswerMs: 0, failures: 0 };
  let running = true;
  let stoppedAt = Infinity;
  const loop = (async () => {
    for (let i = 0; running; i += 1) {
      const input = { roomId, message: text ?? `${label} ${i}`, clientId: randomUUID() };
      // After the stop, a send still unanswered gets 30 s more (then the checks say what went wrong).
      while (Date.now() - stoppedAt < 30_000) {
        const started = Date.now();
        try {
          const message = await attempt(input);
          if (timed) log.slowestAnswerMs = Math.max(log.slowestAnswerMs, Date.now() - started);
          log.acked.push(message);
          break;
        } catch (error) {
          // An answer (an error status or ack) counts for the deadline; a dead connection does not.
          if (timed && (error as { answered?: boolean }).answered)
            log.slowestAnswerMs = Math.max(log.slowestAnswerMs, Date.now() - started);
          log.failures += 1;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000 / perSecond));
    }
  })();
  return {
    log,
    async stop() {
      running = false;
      stoppedAt = Date.now();
      await loop;
    },
  };
}

const answered = (error: unknown) => Object.assign(new Error(String(error)), { answered: true });

/** Senders on every surface: socket.io, REST, tRPC and the SDK, each against `url`. */
export function startSenders(urls: string[], user: TestUser, roomId: number, perSecond = 5, text?: string): Sender[] {
  const url = urls[0]!;
  const socket = rawSocket(url, user.token);
  const trpc = trpcClient(urls[1] ?? url, user.token);
  // The SDK retries a 503 by itself, keeping the clientId: its answers are not timed (one send is several attempts).
  const sdk = createChatClient({ url: urls[1] ?? url, token: user.token, timeout: 5_000 });
  return [
    runSender(
      roomId,
      "socket",
      async (input) => {
        const ack = await socket.timeout(5_000).emitWithAck("send_message", input);
        if (!ack.ok) throw answered(ack.error.code);
        return ack.data;
      },
      perSecond,
      true,
      text,
    ),
    runSender(
      roomId,
      "rest",
      async (input) => {
        const res = await fetch(`${url}/api/chat/`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
          body: JSON.stringify(input),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status !== 201) throw answered(res.status);
        return (await res.json()) as Message;
      },
      perSecond,
      true,
      text,
    ),
    runSender(
      roomId,
      "trpc",
      async (input) => {
        try {
          return await trpc.message.send.mutate(input, { signal: AbortSignal.timeout(10_000) });
        } catch (error) {
          throw (error as { data?: unknown }).data ? answered(error) : error;
        }
      },
      perSecond,
      true,
      text,
    ),
    runSender(
      roomId,
      "sdk",
      async (input) => {
        try {
          return await sdk.messages.send(input);
        } catch (error) {
          throw (error as { status?: number }).status ? answered(error) : error;
        }
      },
      perSecond,
      false,
      text,
    ),
  ].map((sender) => ({
    log: sender.log,
    async stop() {
      await sender.stop();
      socket.disconnect();
    },
  }));
}

function rawSocket(url: string, token: string): RawSocket {
  return ioClient(url, {
    auth: { token },
    transports: ["websocket"],
    forceNew: true,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1_000,
  });
}

/** What a receiver delivered: message ids, in order, with how many times each. */
export interface Receiver {
  name: string;
  delivered: number[];
  close(): void;
}

/** A raw receiver can also stop reading its connection (its process alive, the socket open). */
export interface RawReceiver extends Receiver {
  pauseReading(): void;
  connected(): boolean;
}

/**
 * A raw socket.io receiver that follows the README's rule: it keeps the highest version up to
 * which it has seen every change, and calls `sync` from there after a version jump, a
 * `room_versions` ahead of it, or a reconnect; it drops what it already has by id.
 */
export function rawReceiver(url: string, token: string, roomId: number, name: string): RawReceiver {
  const socket = rawSocket(url, token);
  const byVersion = new Map<number, number>();
  const have = new Set<number>();
  const delivered: number[] = [];
  let watermark = 0;
  let syncing = false;
  const take = (m: Message) => {
    byVersion.set(m.version, m.id);
    while (byVersion.has(watermark + 1)) watermark += 1;
    if (have.has(m.id)) return;
    have.add(m.id);
    delivered.push(m.id);
  };
  async function sync() {
    if (syncing) return;
    syncing = true;
    try {
      const ack = await socket.timeout(10_000).emitWithAck("sync", { roomId, since: watermark });
      if (ack.ok) for (const m of [...ack.data.messages].sort((a, b) => a.version - b.version)) take(m);
    } catch {
      // The next room_versions or reconnect tries again.
    } finally {
      syncing = false;
    }
  }
  socket.on("connect", () => {
    void socket
      .timeout(10_000)
      .emitWithAck("join_room", roomId)
      .then(sync, () => undefined);
  });
  socket.on("receive_message", (m) => {
    if (m.version > watermark + 1) void sync();
    take(m);
  });
  socket.on("room_versions", ({ rooms }) => {
    if (rooms.some((r) => r.roomId === roomId && r.version > watermark)) void sync();
  });
  return {
    name,
    delivered,
    close: () => socket.disconnect(),
    connected: () => socket.connected,
    pauseReading() {
      const engine = socket.io.engine as unknown as { transport: { ws: { _socket: TcpSocket } } };
      engine.transport.ws._socket.pause();
    },
  };
}

/** An SDK client's receive_message deliveries (the SDK catches up by itself). */
export async function sdkReceiver(url: string, token: string, roomId: number, name: string): Promise<Receiver> {
  const chat: ChatClient = createChatClient({ url, token, transports: ["websocket"] });
  const delivered: number[] = [];
  chat.realtime.on("receive_message", (m) => {
    if (m.roomId === roomId) delivered.push(m.id);
  });
  await chat.realtime.connect();
  await chat.realtime.joinRoom(roomId);
  return { name, delivered, close: () => chat.realtime.disconnect() };
}

/** Two users and their room, made through `url`. */
export async function room(url: string): Promise<{ ana: TestUser; bob: TestUser; roomId: number }> {
  const [ana, bob] = await Promise.all([signUp(url, "ana"), signUp(url, "bob")]);
  const res = await ana.api.post("/api/room/", { participant: bob.user.id });
  if (res.status !== 201) throw new Error(`room: ${res.status}`);
  return { ana, bob, roomId: (res.body as { id: number }).id };
}

/** Every message of the room as stored (the changes since version 0), and the room's version. */
export async function stored(user: TestUser, roomId: number): Promise<{ messages: Message[]; version: number }> {
  const res = await user.api.get(`/api/room/${roomId}/changes?since=0`);
  if (res.status !== 200) throw new Error(`changes: ${res.status}`);
  const body = res.body as { messages: Message[]; version: number };
  return { messages: [...body.messages].sort((a, b) => a.version - b.version), version: body.version };
}
