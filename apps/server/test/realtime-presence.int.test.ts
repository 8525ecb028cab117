import { io as ioClient } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";

import { connectSocket, signUp } from "./harness.ts";
import { eventually, expectSilence, pair, record, sleep, useServer } from "./realtime-helpers.ts";

const server = useServer();

describe("presence", () => {
  it("announces a user with two tabs online once, and offline only after the last tab closes", async () => {
    const p = await pair(server.url);
    const bob = await connectSocket(server.url, p.bob.token);
    // Let Bob's own arrival (and the snapshot of who is online it answers him) settle first.
    await sleep(300);
    const seen = record(bob, "presence");
    const tab1 = await connectSocket(server.url, p.ana.token);
    await eventually(() => expect(seen).toEqual([{ userId: p.ana.user.id, online: true }]));
    const tab2 = await connectSocket(server.url, p.ana.token);
    await sleep(300);
    tab1.disconnect();
    await sleep(300);
    expect(seen).toEqual([{ userId: p.ana.user.id, online: true }]);
    tab2.disconnect();
    await eventually(() =>
      expect(seen).toEqual([
        { userId: p.ana.user.id, online: true },
        { userId: p.ana.user.id, online: false },
      ]),
    );
  });

  it("tells a newcomer which partners are online, and tells nobody outside the user's rooms", async () => {
    const p = await pair(server.url);
    const stranger = await connectSocket(server.url, (await signUp(server.url, "stranger")).token);
    const silent = expectSilence(stranger, "presence", 500);
    await connectSocket(server.url, p.bob.token);
    const ana = ioClient(server.url, {
      auth: { token: p.ana.token },
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    afterAll(() => {
      ana.disconnect();
    });
    const seen = record(ana, "presence");
    await eventually(() => expect(seen).toContainEqual({ userId: p.bob.user.id, online: true }));
    await silent;
  });
});
