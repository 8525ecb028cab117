import { describe, expect, it } from "vitest";

import { call, eventually, joined, pairJoined, useServer } from "./realtime-helpers.ts";

const server = useServer();

describe("rate limit", () => {
  it("refuses sends over the per-socket rate with TOO_MANY_REQUESTS, without touching other sockets", async () => {
    const { p, ana, bob } = await pairJoined(server.url);
    const started = Date.now();
    const acks = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        call(ana, "send_message", { roomId: p.room.id, message: `flood ${i}` }, 20_000),
      ),
    );
    const ok = acks.filter((a) => a.ok).length;
    const limited = acks.filter((a) => !a.ok && a.error.code === "TOO_MANY_REQUESTS").length;
    expect(ok + limited).toBe(60);
    expect(ok).toBeGreaterThanOrEqual(40);
    // The burst of 40, plus what the bucket refilled (20 a second) while the flood was handled.
    expect(ok).toBeLessThanOrEqual(40 + Math.floor((20 * (Date.now() - started)) / 1000));
    expect(limited).toBeGreaterThan(0);
    // Only the acknowledged ones were stored.
    const stored = await p.ana.api.get(`/api/chat/${p.room.id}?limit=200`);
    expect(stored.body).toHaveLength(ok);
    // Another socket of the same user has its own bucket, and the other participant is unaffected.
    expect(await call(bob, "send_message", { roomId: p.room.id, message: "bob is fine" })).toMatchObject({ ok: true });
    const tab = await joined(server.url, p.ana, p.room.id);
    expect(await call(tab, "send_message", { roomId: p.room.id, message: "other tab" })).toMatchObject({ ok: true });
    // The bucket refills.
    await eventually(async () =>
      expect(await call(ana, "send_message", { roomId: p.room.id, message: "later" })).toMatchObject({ ok: true }),
    );
  }, 30_000);
});
