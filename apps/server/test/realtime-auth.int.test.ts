import { io as ioClient } from "socket.io-client";
import { describe, expect, it } from "vitest";

import { signUp, startServer } from "./harness.ts";
import { useServer } from "./realtime-helpers.ts";

const server = useServer();

/** A handshake's outcome: "connected", or the connect_error message. */
function handshake(options: Record<string, unknown>): Promise<string> {
  const socket = ioClient(server.url, { transports: ["websocket"], reconnection: false, forceNew: true, ...options });
  return new Promise<string>((resolve) => {
    socket.once("connect", () => resolve("connected"));
    socket.once("connect_error", (error) => resolve(error.message));
  }).finally(() => socket.disconnect());
}

describe("handshake", () => {
  it("refuses a connection without a token, or with a bad one, with connect_error UNAUTHORIZED", async () => {
    expect(await handshake({})).toBe("UNAUTHORIZED");
    expect(await handshake({ auth: { token: "not.a.jwt" } })).toBe("UNAUTHORIZED");
    expect(await handshake({ auth: { token: 42 } })).toBe("UNAUTHORIZED");
    expect(await handshake({ extraHeaders: { authorization: "Bearer garbage" } })).toBe("UNAUTHORIZED");
    expect(await handshake({ extraHeaders: { cookie: "token=s%3Aforged.signature" } })).toBe("UNAUTHORIZED");
    // Polling answers the same.
    expect(await handshake({ transports: ["polling"] })).toBe("UNAUTHORIZED");
  });

  it("takes the token from auth.token, the Authorization header, or the login cookie", async () => {
    const ana = await signUp(server.url, "hs");
    expect(await handshake({ auth: { token: ana.token } })).toBe("connected");
    expect(await handshake({ extraHeaders: { authorization: `Bearer ${ana.token}` } })).toBe("connected");
    const login = await ana.api.post("/api/user/connexion", { email: ana.user.email, password: ana.password });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(cookie).toMatch(/^token=/);
    expect(await handshake({ extraHeaders: { cookie } })).toBe("connected");
    // The cookie is signed: the bare token under the cookie's name is not enough.
    expect(await handshake({ extraHeaders: { cookie: `token=${ana.token}` } })).toBe("UNAUTHORIZED");
  });

  it("checks the Origin against the allowed origins, on websockets and polling alike", async () => {
    const ana = await signUp(server.url, "origin");
    const auth = { token: ana.token };
    expect(await handshake({ auth, extraHeaders: { origin: "http://localhost:3000" } })).toBe("connected");
    expect(await handshake({ auth, extraHeaders: { origin: "https://evil.example" } })).not.toBe("connected");
    expect(
      await handshake({ auth, transports: ["polling"], extraHeaders: { origin: "https://evil.example" } }),
    ).not.toBe("connected");

    const strict = await startServer({ config: { corsOrigins: ["https://chat.example.com"] } });
    try {
      const user = await signUp(strict.url, "strict");
      const at = (origin: string) =>
        new Promise<string>((resolve) => {
          const socket = ioClient(strict.url, {
            transports: ["websocket"],
            reconnection: false,
            forceNew: true,
            auth: { token: user.token },
            extraHeaders: { origin },
          });
          socket.once("connect", () => resolve("connected"));
          socket.once("connect_error", (error) => resolve(error.message));
        });
      expect(await at("https://chat.example.com")).toBe("connected");
      expect(await at("http://localhost:3000")).not.toBe("connected");
    } finally {
      await strict.close();
    }
  });
});
