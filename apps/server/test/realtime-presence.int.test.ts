import { io as ioClient } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";

import { connectSocket, signUp } from "./harness.ts";
import { eventually, expectSilence, pair, record, twoTabsPresence, useServer } from "./realtime-helpers.ts";

const server = useServer();

describe("presence", () => {
  it("announces a user with two tabs online once, and offline only after the last tab closes", async () => {
    await twoTabsPresence({ bob: server.url, tab1: server.url, tab2: server.url });
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
