import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { nextEvent, startServer, type TestServer } from "./harness.ts";
import { call, joined, pair } from "./realtime-helpers.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ config: { roomVersionsIntervalMs: 1_000 } });
});
afterAll(() => server.close());

describe("room_versions", () => {
  it("tells each socket, every interval, the current version of each room it joined, and of no other", async () => {
    const p = await pair(server.url);
    const other = await pair(server.url, ["cid", "dan"]);
    // Bob is in a second room, which his socket does not join.
    const second = await other.ana.api.post("/api/room/", { participant: p.bob.user.id });
    expect(second.status).toBe(201);
    const bob = await joined(server.url, p.bob, p.room.id);
    const ana = await joined(server.url, p.ana, p.room.id);
    for (const text of ["one", "two"]) {
      expect(await call(ana, "send_message", { roomId: p.room.id, message: text })).toMatchObject({ ok: true });
    }
    const seen = await nextEvent(bob, "room_versions", 5_000);
    expect(seen).toEqual({ rooms: [{ roomId: p.room.id, version: 2 }] });
    // And again at the next interval.
    expect(await nextEvent(bob, "room_versions", 5_000)).toEqual(seen);
  });
});
