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
  /**
   * Scoped to a room (and, for some, a message in it): members may, others get 404. A member not
   * allowed gets `refused` (403 by default; 409 for what a direct room cannot do at all).
   */
  | {
      scope: "room" | "message";
      input: (f: Fixture) => Record<string, unknown>;
      allowed: readonly Role[];
      refused?: 403 | 409;
    };

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
  "room.discover": { scope: "account", input: () => ({}) },
  "room.get": { scope: "room", allowed: MEMBERS, input: (f) => ({ id: f.roomId }) },
  "room.update": { scope: "room", allowed: [], refused: 409, input: (f) => ({ id: f.roomId, name: "renamed" }) },
  "room.join": { scope: "room", allowed: MEMBERS, input: (f) => ({ id: f.roomId }) },
  "room.listMembers": { scope: "room", allowed: MEMBERS, input: (f) => ({ id: f.roomId }) },
  "room.addMembers": {
    scope: "room",
    allowed: [],
    refused: 409,
    input: (f) => ({ id: f.roomId, userIds: [outsider.user.id] }),
  },
  "room.removeMember": {
    scope: "room",
    allowed: [],
    refused: 409,
    input: (f) => ({ id: f.roomId, userId: pair.b.user.id }),
  },
  "room.setMemberRole": {
    scope: "room",
    allowed: [],
    refused: 409,
    input: (f) => ({ id: f.roomId, userId: pair.b.user.id, role: "admin" }),
  },
  "room.changes": { scope: "room", allowed: MEMBERS, input: (f) => ({ id: f.roomId, since: 0 }) },
  "room.markRead": {
    scope: "message",
    allowed: ["recipient"],
    input: (f) => ({ id: f.roomId, messageId: f.messageId }),
  },
  "message.receipts": { scope: "message", allowed: MEMBERS, input: (f) => ({ id: f.messageId }) },
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

  it.each(scoped)("%s: members answer as the table says (allowed 2xx, the others 403 or 409)", async (name, route) => {
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
        const refused = entry.refused ?? 403;
        expect(res.status, role).toBe(refused);
        expect(res.body.error.code).toBe(refused === 403 ? "FORBIDDEN" : "CONFLICT");
        expect(await roomVersion()).toBe(before);
        expect(await trpcStatus(userOf(role).token, name, route, input)).toBe(refused);
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

/**
 * The same table for groups, by role: every room- or message-scoped route, called by the owner, an
 * admin, a member, a removed member and an outsider. Members answer as `allowed` says (2xx, else
 * 403, nothing changed); the removed member and the outsider get 404 as for a room that does not
 * exist, and nothing changes.
 */
type GroupRole = "owner" | "admin" | "member" | "removed" | "outsider";
const GROUP_ROLES: readonly GroupRole[] = ["owner", "admin", "member", "removed", "outsider"];
const ANY_MEMBER = ["owner", "admin", "member"] as const;
const MANAGERS = ["owner", "admin"] as const;

interface GroupFixture {
  roomId: number;
  /** A message from `target`, a plain member nobody in the table plays. */
  messageId: number;
  target: number;
  /** A user in no group yet, to add. */
  newcomer: number;
}

type ScopedProcedure = {
  [K in RestProcedure]: (typeof cases)[K]["scope"] extends "room" | "message" ? K : never;
}[RestProcedure];

const groupCases: Record<
  ScopedProcedure,
  { allowed: readonly GroupRole[]; input: (f: GroupFixture) => Record<string, unknown> }
> = {
  "room.get": { allowed: ANY_MEMBER, input: (f) => ({ id: f.roomId }) },
  "room.update": { allowed: MANAGERS, input: (f) => ({ id: f.roomId, name: "renamed" }) },
  "room.join": { allowed: ANY_MEMBER, input: (f) => ({ id: f.roomId }) },
  "room.listMembers": { allowed: ANY_MEMBER, input: (f) => ({ id: f.roomId }) },
  "room.addMembers": { allowed: MANAGERS, input: (f) => ({ id: f.roomId, userIds: [f.newcomer] }) },
  "room.removeMember": { allowed: MANAGERS, input: (f) => ({ id: f.roomId, userId: f.target }) },
  "room.setMemberRole": { allowed: ["owner"], input: (f) => ({ id: f.roomId, userId: f.target, role: "admin" }) },
  "room.changes": { allowed: ANY_MEMBER, input: (f) => ({ id: f.roomId, since: 0 }) },
  "room.markRead": { allowed: ANY_MEMBER, input: (f) => ({ id: f.roomId, messageId: f.messageId }) },
  "message.receipts": { allowed: ANY_MEMBER, input: (f) => ({ id: f.messageId }) },
  "message.search": { allowed: ANY_MEMBER, input: (f) => ({ q: "secret", roomId: f.roomId }) },
  "message.list": { allowed: ANY_MEMBER, input: (f) => ({ roomId: f.roomId }) },
  "message.send": { allowed: ANY_MEMBER, input: (f) => ({ roomId: f.roomId, message: "secret hello" }) },
  // Only the sender edits or deletes, whatever their role.
  "message.edit": { allowed: [], input: (f) => ({ id: f.messageId, message: "secret edited" }) },
  "message.setState": { allowed: ANY_MEMBER, input: (f) => ({ id: f.messageId, state: "lu" }) },
  "message.delete": { allowed: [], input: (f) => ({ id: f.messageId }) },
};

describe("authorization by role in groups", () => {
  let players: Record<GroupRole | "target", TestUser>;

  beforeAll(async () => {
    const names = [...GROUP_ROLES, "target"] as const;
    const users = await Promise.all(names.map((name) => signUp(server.url, `g_${name}`)));
    players = Object.fromEntries(names.map((name, i) => [name, users[i]!])) as typeof players;
  });

  /** A fresh group: owner, admin, member, target; the removed player was in it and was removed. */
  async function groupFixture(): Promise<GroupFixture> {
    const { owner, admin, member, removed, target } = players;
    const created = await owner.api.post<{ id: number }>("/api/room/", {
      name: "secret group",
      participants: [admin, member, removed, target].map((p) => p.user.id),
    });
    const roomId = created.body.id;
    await owner.api.patch(`/api/room/${roomId}/members/${admin.user.id}`, { role: "admin" });
    await owner.api.delete(`/api/room/${roomId}/members/${removed.user.id}`);
    const message = await send(target, roomId, "secret message");
    const newcomer = await signUp(server.url, "g_new");
    return { roomId, messageId: message.id, target: target.user.id, newcomer: newcomer.user.id };
  }

  it("covers every room- or message-scoped route", () => {
    expect(Object.keys(groupCases).sort()).toEqual(scoped.map(([name]) => name).sort());
  });

  const matrix = scoped.flatMap(([name, route]) => GROUP_ROLES.map((role) => [name, role, route] as const));
  it.each(matrix)("%s as %s", async (name, role, route) => {
    const entry = groupCases[name as ScopedProcedure];
    const f = await groupFixture();
    const version = async () =>
      (await players.owner.api.get<Changes>(`/api/room/${f.roomId}/changes?since=0`)).body.version;
    const before = await version();
    const input = entry.input(f);
    const caller = players[role];
    const res = await restCall(caller.api, route, input);
    if (entry.allowed.includes(role)) {
      expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
      return;
    }
    const expected = role === "removed" || role === "outsider" ? 404 : 403;
    expect(res.status, JSON.stringify(res.body)).toBe(expected);
    expect(res.body.error.code).toBe(expected === 404 ? "NOT_FOUND" : "FORBIDDEN");
    if (expected === 404) expect(JSON.stringify(res.body)).not.toMatch(/secret/);
    expect(await trpcStatus(caller.token, name, route, input)).toBe(expected);
    expect(await version()).toBe(before);
  });
});
