import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { restRoutes, type Changes, type Message, type RestProcedure, type RestRoute } from "@causette/contracts";

import { createPair, send, type Pair } from "./chat.ts";
import { http, signUp, startServer, trpcClient, type HttpResult, type TestServer, type TestUser } from "./harness.ts";

/**
 * Who may call what, for every route of the contract's table. The table is typed by the route
 * names and compared with them at run time, so a new route fails here until it says its scope.
 */
type Role = "sender" | "recipient" | "outsider";

interface Fixture {
  roomId: number;
  /** A message from `sender` to `recipient`, fresh for each call. */
  messageId: number;
}

type Case =
  | { scope: "public"; input: (f: Fixture) => Record<string, unknown> }
  /** Needs a token, but reaches no room: answers about the caller only. */
  | { scope: "account"; input: (f: Fixture) => Record<string, unknown> }
  /** Scoped to a room (and, for some, a message in it): members may, others get 404. */
  | { scope: "room" | "message"; input: (f: Fixture) => Record<string, unknown>; allowed: readonly Role[] };

const MEMBERS = ["sender", "recipient"] as const;

const cases = {
  "user.register": {
    scope: "public",
    input: () => ({
      username: `reg_${Date.now()}${Math.random().toString(36).slice(2, 6)}`,
      email: `reg.${Date.now()}${Math.random().toString(36).slice(2, 6)}@example.com`,
      password: "correct horse",
    }),
  },
  "user.login": { scope: "public", input: () => ({ email: outsider.user.email, password: outsider.password }) },
  "user.logout": { scope: "public", input: () => ({}) },
  "system.health": { scope: "public", input: () => ({}) },
  "system.live": { scope: "public", input: () => ({}) },
  "system.ready": { scope: "public", input: () => ({}) },
  "user.me": { scope: "account", input: () => ({}) },
  "user.get": { scope: "account", input: () => ({ id: 1 }) },
  "user.list": { scope: "account", input: () => ({}) },
  "room.list": { scope: "account", input: () => ({}) },
  "room.create": { scope: "account", input: () => ({ participant: 1 }) },
  "room.changes": { scope: "room", allowed: MEMBERS, input: (f) => ({ id: f.roomId, since: 0 }) },
  "room.markRead": {
    scope: "message",
    allowed: ["recipient"],
    input: (f) => ({ id: f.roomId, messageId: f.messageId }),
  },
  "message.search": { scope: "room", allowed: MEMBERS, input: (f) => ({ q: "secret", roomId: f.roomId }) },
  "message.list": { scope: "room", allowed: MEMBERS, input: (f) => ({ roomId: f.roomId }) },
  "message.send": { scope: "room", allowed: MEMBERS, input: (f) => ({ roomId: f.roomId, message: "secret hello" }) },
  "message.edit": {
    scope: "message",
    allowed: ["sender"],
    input: (f) => ({ id: f.messageId, message: "secret edited" }),
  },
  "message.setState": { scope: "message", allowed: ["recipient"], input: (f) => ({ id: f.messageId, state: "lu" }) },
  "message.delete": { scope: "message", allowed: ["sender"], input: (f) => ({ id: f.messageId }) },
} as const satisfies Record<RestProcedure, Case>;

const routeEntries = Object.entries(restRoutes) as Array<[RestProcedure, RestRoute]>;
const scoped = routeEntries.filter(([name]) => cases[name].scope === "room" || cases[name].scope === "message");

/** The REST request for a procedure input: path parameters from the input, the rest as query or body. */
function restCall(
  api: ReturnType<typeof http>,
  route: RestRoute,
  input: Record<string, unknown>,
): Promise<HttpResult<any>> {
  const rest = { ...input };
  const path = route.path.replace(/:(\w+)/g, (_, param: string) => {
    const key = route.params?.[param] ?? param;
    const value = rest[key];
    delete rest[key];
    return encodeURIComponent(String(value));
  });
  if (route.method === "get" || route.method === "delete") {
    const query = new URLSearchParams(
      Object.entries(rest).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    return api.call(route.method.toUpperCase(), query ? `${path}?${query}` : path);
  }
  return api.call(route.method.toUpperCase(), path, rest);
}

/** The same call over tRPC; answers the HTTP status tRPC reports. */
async function trpcStatus(
  token: string,
  name: RestProcedure,
  route: RestRoute,
  input: Record<string, unknown>,
): Promise<number> {
  const [namespace, procedure] = name.split(".") as [string, string];
  const client = trpcClient(server.url, token) as any;
  const target = client[namespace][procedure];
  try {
    await (route.method === "get" ? target.query(input) : target.mutate(input));
    return 200;
  } catch (error) {
    return (error as { data?: { httpStatus?: number } }).data?.httpStatus ?? -1;
  }
}

let server: TestServer;
let pair: Pair;
let outsider: TestUser;
const userOf = (role: Role) => (role === "sender" ? pair.a : role === "recipient" ? pair.b : outsider);

beforeAll(async () => {
  server = await startServer();
  pair = await createPair(server);
  outsider = await signUp(server.url, "outsider");
  // The outsider has rooms of their own, so "not a member" is not "has no rooms".
  await createPair(server).then((p) => outsider.api.post("/api/room/", { participant: p.a.user.id }));
});
afterAll(() => server.close());

let fixture: Fixture;
beforeEach(async () => {
  const message = await send(pair.a, pair.room.id, "secret message");
  fixture = { roomId: pair.room.id, messageId: message.id };
});

const roomVersion = async () =>
  (await pair.a.api.get<Changes>(`/api/room/${pair.room.id}/changes?since=0`)).body.version;

describe("authorization table", () => {
  it("covers every route of the contract", () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(restRoutes).sort());
  });

  it("classifies every route that names a room or a message as room- or message-scoped", () => {
    for (const [name, route] of routeEntries) {
      const sample = cases[name].input({ roomId: 1, messageId: 1 });
      const namesRoomOrMessage =
        /^\/api\/(room|chat)\/:/.test(route.path) || "roomId" in sample || "messageId" in sample;
      if (namesRoomOrMessage) expect(["room", "message"], name).toContain(cases[name].scope);
    }
  });

  it.each(routeEntries.filter(([, route]) => route.auth))(
    "%s answers 401 without a token, on REST and tRPC",
    async (name, route) => {
      const input = cases[name].input(fixture);
      const res = await restCall(http(server.url), route, input);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("UNAUTHORIZED");
      expect(await trpcStatus("", name, route, input)).toBe(401);
    },
  );

  it.each(routeEntries.filter(([name]) => cases[name].scope === "public"))(
    "%s answers without a token",
    async (name, route) => {
      const res = await restCall(http(server.url), route, cases[name].input(fixture));
      expect(res.status).not.toBe(401);
      expect(res.status).toBeLessThan(500);
    },
  );

  it.each(scoped)(
    "%s: an outsider gets 404, exactly as for a room or message that does not exist, and nothing changes",
    async (name, route) => {
      const before = await roomVersion();
      const input = cases[name].input(fixture);
      const res = await restCall(outsider.api, route, input);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
      expect(JSON.stringify(res.body)).not.toMatch(/secret/);
      expect(await trpcStatus(outsider.token, name, route, input)).toBe(404);

      const missing = cases[name].input({ roomId: 999_999, messageId: 999_999_999 });
      const none = await restCall(outsider.api, route, missing);
      expect(none.status).toBe(404);
      expect(none.body.error.code).toBe("NOT_FOUND");
      expect(await roomVersion()).toBe(before);
    },
  );

  it.each(scoped)("%s: members answer as the table says (allowed 2xx, the other member 403)", async (name, route) => {
    const entry = cases[name] as Extract<Case, { allowed: readonly Role[] }>;
    for (const role of MEMBERS) {
      const message = await send(pair.a, pair.room.id, "secret message");
      const input = entry.input({ roomId: pair.room.id, messageId: message.id });
      const before = await roomVersion();
      const res = await restCall(userOf(role).api, route, input);
      if (entry.allowed.includes(role)) {
        expect(res.status, `${role}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(300);
      } else {
        expect(res.status, role).toBe(403);
        expect(res.body.error.code).toBe("FORBIDDEN");
        expect(await roomVersion()).toBe(before);
        expect(await trpcStatus(userOf(role).token, name, route, input)).toBe(403);
      }
    }
  });

  it("the room list never shows an outsider the room, and a message of the room stays unchanged", async () => {
    const rooms = (await outsider.api.get<Array<{ id: number }>>("/api/room/")).body;
    expect(rooms.map((r) => r.id)).not.toContain(pair.room.id);
    expect(rooms.length).toBeGreaterThan(0);
    const search = (await outsider.api.get<Message[]>("/api/chat/search?q=secret")).body;
    expect(search).toEqual([]);
  });
});
