import { Agent, get as httpGet } from "node:http";
import type { AddressInfo } from "node:net";
import { io as ioClient } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Message } from "@causette/contracts";

import { createApp, type App } from "../src/app.ts";
import { createLogger } from "../src/logger.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { env, http, testConfig, type ClientSocket } from "./harness.ts";
import { call, eventually, pair, type Pair } from "./realtime-helpers.ts";

let db: TestDatabase;
let app: App | undefined;
const config = testConfig();
const logger = createLogger("silent");

async function listen(port = 0): Promise<{ app: App; url: string }> {
  const started = await createApp({ config, db, logger });
  await new Promise<void>((resolve) => started.server.listen(port, "127.0.0.1", resolve));
  return { app: started, url: `http://127.0.0.1:${(started.server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  db = await createTestDatabase(env.dbUrl);
});
afterAll(async () => {
  await app?.close();
  await db?.destroy();
});

describe("graceful shutdown", () => {
  it("finishes and acks in-flight sends, drops sockets so they reconnect, and loses no acknowledged message", async () => {
    const first = await listen();
    app = first.app;
    const url = first.url;
    const port = Number(new URL(url).port);
    const pairs: Pair[] = [];
    for (let i = 0; i < 4; i += 1) pairs.push(await pair(url, [`sd${i}a`, `sd${i}b`]));

    // Clients as an app writes them: reconnecting on their own, joining again on every connect.
    const sockets = pairs.map((p) => {
      const socket: ClientSocket = ioClient(url, {
        auth: { token: p.ana.token },
        transports: ["websocket"],
        reconnectionDelay: 100,
        reconnectionDelayMax: 200,
      });
      socket.on("connect", () => void call(socket, "join_room", p.room.id));
      return socket;
    });
    afterAll(() => sockets.forEach((s) => s.disconnect()));
    await eventually(() => expect(sockets.every((s) => s.connected)).toBe(true));
    const reasons: string[] = [];
    for (const socket of sockets) socket.on("disconnect", (reason) => reasons.push(reason));

    // Every socket pipelines a burst of sends, then the server shuts down while they are being stored.
    const PER_SOCKET = 15;
    let answeredBeforeClose = 0;
    let closing = false;
    const acks = sockets.flatMap((socket, s) =>
      Array.from({ length: PER_SOCKET }, (_, i) =>
        call(socket, "send_message", { roomId: pairs[s]!.room.id, message: `m${i}`, clientId: `c${i}` }, 10_000)
          .catch((error: Error) => error)
          .finally(() => {
            if (!closing) answeredBeforeClose += 1;
          }),
      ),
    );
    // Shut down once the server has stored some of them, with the rest in flight.
    await eventually(async () => {
      const stored = await pairs[0]!.ana.api.get(`/api/chat/${pairs[0]!.room.id}`);
      expect(stored.body.length).toBeGreaterThan(0);
    }, 5000);
    closing = true;
    // Some sends are still in flight as the shutdown starts.
    expect(answeredBeforeClose).toBeLessThan(acks.length);
    await first.app.close();
    app = undefined;

    const answered = await Promise.all(acks);
    // Every send got its answer: stored, or refused because the server was closing (to retry).
    for (const ack of answered) {
      expect(ack).not.toBeInstanceOf(Error);
      if (!(ack instanceof Error) && !ack.ok) expect(ack.error.code).toBe("SERVICE_UNAVAILABLE");
    }
    const stored = answered.filter((a): a is { ok: true; data: Message } => !(a instanceof Error) && a.ok);
    expect(stored.length).toBeGreaterThan(0);
    // Dropped with a reason socket.io clients reconnect on (not "io server disconnect").
    await eventually(() => expect(reasons).toHaveLength(sockets.length));
    expect(new Set(reasons)).toEqual(new Set(["transport close"]));

    // A new process takes the same port: the clients come back by themselves.
    const second = await listen(port);
    app = second.app;
    await eventually(() => expect(sockets.every((s) => s.connected)).toBe(true), 10_000);

    // Every acknowledged message is there; retrying the others with their clientId stores each once.
    for (const [s, socket] of sockets.entries()) {
      const p = pairs[s]!;
      const history = (await http(second.url, p.ana.token).get(`/api/chat/${p.room.id}`)).body as Message[];
      for (const ack of stored.filter((m) => m.data.roomId === p.room.id)) expect(history).toContainEqual(ack.data);
      for (let i = 0; i < PER_SOCKET; i += 1) {
        expect(
          await call(socket, "send_message", { roomId: p.room.id, message: `m${i}`, clientId: `c${i}` }),
        ).toMatchObject({ ok: true });
      }
      const after = (await http(second.url, p.ana.token).get(`/api/chat/${p.room.id}`)).body as Message[];
      expect(after.map((m) => m.message)).toEqual(Array.from({ length: PER_SOCKET }, (_, i) => `m${i}`));
    }
  }, 60_000);

  it("lets REST sends in flight finish and answer: nothing is stored without its 201", async () => {
    const started = await listen();
    app = started.app;
    const p = await pair(started.url, ["sdrest_a", "sdrest_b"]);
    const api = http(started.url, p.ana.token);
    const results = Array.from({ length: 40 }, (_, i) =>
      api
        .post("/api/chat/", { roomId: p.room.id, message: `rest ${i}`, clientId: `r${i}` })
        .catch((error: Error) => error),
    );
    await eventually(async () => {
      expect((await api.get(`/api/chat/${p.room.id}`)).body.length).toBeGreaterThan(0);
    }, 5000);
    await started.app.close();
    app = undefined;
    const answered = await Promise.all(results);
    const second = await listen();
    app = second.app;
    const history = (await http(second.url, p.ana.token).get(`/api/chat/${p.room.id}`)).body as Message[];
    // Requests the server had not started on when it stopped accepting may fail to connect (the
    // client retries them); every request it did handle was answered.
    const created = answered.flatMap((r) => (!(r instanceof Error) && r.status === 201 ? [r.body as Message] : []));
    expect(created.length).toBeGreaterThan(0);
    for (const r of answered) if (!(r instanceof Error)) expect([201, 503]).toContain(r.status);
    expect(history).toEqual([...created].sort((a, b) => a.id - b.id));
  });
});

describe("shutdown with keep-alive connections", () => {
  it("stops taking requests on kept-alive connections and closes them, instead of serving them until killed", async () => {
    const started = await listen();
    app = started.app;
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        httpGet(`${started.url}/api/health`, { agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        }).on("error", reject);
      });
    expect(await get()).toBe(200);
    // Two clients keep their connection busy with one request after another, as a proxy does.
    let closing = false;
    const afterClose: Array<number | "refused"> = [];
    const busy = async () => {
      for (let i = 0; i < 2000; i += 1) {
        const status = await get().catch(() => "refused" as const);
        if (closing) afterClose.push(status);
        if (status === "refused") return;
      }
    };
    const clients = [busy(), busy()];
    await eventually(() => expect(agent.sockets).not.toEqual({}));
    const began = Date.now();
    closing = true;
    await started.app.close();
    app = undefined;
    expect(Date.now() - began).toBeLessThan(2000);
    await Promise.all(clients);
    // Taken before the close: answered; after it: refused with 503 (to retry elsewhere) or not connected.
    for (const status of afterClose) expect([200, 503, "refused"]).toContain(status);
    expect(afterClose.at(-1)).toBe("refused");
    agent.destroy();
  });
});
