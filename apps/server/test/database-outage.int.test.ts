import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { openDatabase } from "@causette/db";

import { createLogger } from "../src/logger.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { env, startServer, trpcClient, TRPCClientError, type TestServer } from "./harness.ts";
import { startTcpProxy, until, type TcpProxy } from "./processes.ts";
import { call, joined, pair, type Pair } from "./realtime-helpers.ts";

const DB_TIMEOUT_MS = 1_000;

let base: TestDatabase;
let proxy: TcpProxy;
let server: TestServer;
const logLines: Array<{ level: number; msg: string; err?: unknown }> = [];

beforeAll(async () => {
  base = await createTestDatabase(env.dbUrl);
  const target = new URL(base.url);
  proxy = await startTcpProxy(Number(target.port || 5432));
  target.port = String(proxy.port);
  const db = await openDatabase({ url: target.toString(), migrate: false, timeoutMs: DB_TIMEOUT_MS });
  const logger = createLogger("info", {
    destination: { write: (line: string) => void logLines.push(JSON.parse(line) as (typeof logLines)[number]) },
  });
  server = await startServer({
    db: {
      ...db,
      async destroy() {
        await db.close();
        await base.destroy();
      },
    },
    logger,
  });
});
afterAll(async () => {
  proxy?.thaw();
  await server?.close();
  await proxy?.close();
});

/** How long `work` takes to settle, in ms. */
async function timed<T>(work: Promise<T>): Promise<{ ms: number; result: T }> {
  const start = Date.now();
  const result = await work;
  return { ms: Date.now() - start, result };
}

describe.skipIf(!env.dbUrl)("a frozen database", () => {
  let p: Pair;

  it("answers 503 SERVICE_UNAVAILABLE with Retry-After on REST, tRPC and sockets within the deadline", async () => {
    p = await pair(server.url);
    const socket = await joined(server.url, p.ana, p.room.id);
    const lost = randomUUID();
    proxy.freeze();

    const rest = await timed(p.ana.api.post("/api/chat/", { roomId: p.room.id, message: "frozen", clientId: lost }));
    expect(rest.result.status).toBe(503);
    expect(rest.result.body).toMatchObject({ error: { code: "SERVICE_UNAVAILABLE", retryAfter: 1 } });
    expect(rest.result.headers.get("retry-after")).toBe("1");
    expect(rest.ms).toBeLessThan(DB_TIMEOUT_MS + 1_000);

    const trpc = await timed(
      trpcClient(server.url, p.ana.token)
        .message.send.mutate({ roomId: p.room.id, message: "frozen", clientId: lost })
        .catch((error: unknown) => error),
    );
    expect(trpc.result).toBeInstanceOf(TRPCClientError);
    expect((trpc.result as InstanceType<typeof TRPCClientError>).data).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      httpStatus: 503,
      retryAfter: 1,
    });
    expect(trpc.ms).toBeLessThan(DB_TIMEOUT_MS + 1_000);

    const acks = await timed(
      Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          call(socket, "send_message", { roomId: p.room.id, message: `frozen ${i}`, clientId: lost }, 10_000),
        ),
      ),
    );
    for (const ack of acks.result) expect(ack).toMatchObject({ ok: false, error: { code: "SERVICE_UNAVAILABLE" } });
    // The socket's sends run in turn: five deadlines at most.
    expect(acks.ms).toBeLessThan(5 * DB_TIMEOUT_MS + 1_000);

    proxy.thaw();
    // The retry of the refused send stores it once, whatever the frozen attempts did meanwhile.
    await until(
      async () =>
        (await p.ana.api.post("/api/chat/", { roomId: p.room.id, message: "frozen", clientId: lost })).status === 201,
      10_000,
      "the retry to succeed",
    );
    const history = await p.bob.api.get(`/api/chat/${p.room.id}`);
    expect(history.status).toBe(200);
    expect((history.body as Array<{ clientId: string }>).filter((m) => m.clientId === lost)).toHaveLength(1);
  });

  it("logs one line when the database stops answering and one when it is back, and no stack trace", () => {
    const outage = logLines.filter((l) => /database/.test(l.msg));
    expect(outage.map((l) => l.msg)).toEqual([
      expect.stringContaining("not answering"),
      expect.stringContaining("answers again"),
    ]);
    expect(logLines.filter((l) => l.level >= 50)).toEqual([]);
    expect(logLines.filter((l) => JSON.stringify(l).includes("stack"))).toEqual([]);
  });
});
