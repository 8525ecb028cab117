import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

import { createDatabasePool, insertMessages, sql } from "@causette/db";

import { createPair, type Pair } from "./chat.ts";
import { startServer, type TestServer } from "./harness.ts";
import { until } from "./processes.ts";

let server: TestServer;
let pair: Pair;

beforeAll(async () => {
  server = await startServer();
  pair = await createPair(server);
});
afterAll(() => server.close());

/** The room's message versions, in order, and the room's own version. */
async function versionsOf(roomId: number) {
  const pool = server.db.pool;
  const versions = await pool.anyFirst(
    sql.type(
      z.object({ version: z.number() }),
    )`SELECT version FROM messages WHERE room_id = ${roomId} ORDER BY version`,
  );
  const room = await pool.oneFirst(
    sql.type(z.object({ version: z.number() }))`SELECT version FROM rooms WHERE id = ${roomId}`,
  );
  return { versions: [...versions], room };
}

describe("a room's versions", () => {
  it("stay 1..N when a retry races its first attempt in another statement", async () => {
    const { room, a } = pair;
    const clientId = randomUUID();
    const input = { roomId: room.id, sender: a.user.id, message: "first", clientId };
    // A second pool: slonik refuses the test's pool inside a transaction of the same pool.
    const other = await createDatabasePool(server.db.url, { maxPoolSize: 1 });
    let held!: () => void;
    const lockHeld = new Promise<void>((resolve) => (held = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // The first attempt holds the room's lock, uncommitted, while the retry (with another send
    // behind it) starts: the retry's snapshot cannot show the first attempt's message.
    const first = other.transaction(async (tx) => {
      await insertMessages(tx, [input]);
      held();
      await released;
    });
    await lockHeld;
    const racing = insertMessages(server.db.pool, [input, { ...input, message: "next", clientId: randomUUID() }]);
    await until(
      async () =>
        (await server.db.pool.oneFirst(
          sql.type(z.object({ n: z.number() }))`SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )) > 0,
      5_000,
      "the retry to wait for the room's lock",
    );
    release();
    await first;
    await other.end();
    const [retried, next] = await racing;
    expect(retried).toBeNull();
    expect(next?.message.message).toBe("next");
    const { versions, room: version } = await versionsOf(room.id);
    expect(versions).toEqual(Array.from({ length: version }, (_, i) => i + 1));
  });

  it("stay 1..N under a burst of sends retried with their clientIds on REST", async () => {
    const p = await createPair(server, ["eli", "fay"]);
    const clientIds = Array.from({ length: 20 }, () => randomUUID());
    const answers = await Promise.all(
      clientIds.flatMap((clientId, i) =>
        [0, 1, 2].map(() =>
          (i % 2 ? p.a : p.b).api.post("/api/chat/", { roomId: p.room.id, message: `m ${i}`, clientId }),
        ),
      ),
    );
    expect(answers.every((r) => r.status === 201)).toBe(true);
    const { versions, room } = await versionsOf(p.room.id);
    expect(versions).toEqual(Array.from({ length: room }, (_, i) => i + 1));
    expect(versions).toHaveLength(20);
  });
});
