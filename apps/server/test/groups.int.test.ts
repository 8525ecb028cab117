import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Changes, Member, Message, PublicRoom, Receipt, Room } from "@causette/contracts";

import { createGroup, groupCast, insertUsers, send } from "./chat.ts";
import { signUp, startServer, trpcClient, type TestServer, type TestUser } from "./harness.ts";

let server: TestServer;
let owner: TestUser;
let ana: TestUser;
let bob: TestUser;
let cid: TestUser;

beforeAll(async () => {
  server = await startServer({ config: { maxGroupMembers: 8 } });
  ({ owner, ana, bob, cid } = await groupCast(server));
});
afterAll(() => server.close());

const group = (members: TestUser[], extra: Record<string, unknown> = {}) => createGroup(owner, members, extra);

const roomOf = async (user: TestUser, id: number) => (await user.api.get<Room>(`/api/room/${id}`)).body;
const stateOf = async (user: TestUser, m: Message) =>
  (await user.api.get<Message[]>(`/api/chat/${m.roomId}?after=${m.id - 1}&limit=1`)).body[0]!.state;

describe("POST /api/room/ with a name: groups", () => {
  it("creates a group the caller owns, with every member, shown to each member with their role", async () => {
    const res = await owner.api.post<Room>("/api/room/", {
      name: "  Launch  ",
      participants: [ana.user.id, bob.user.id],
      topic: "the launch",
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      kind: "group",
      name: "Launch",
      topic: "the launch",
      visibility: "private",
      memberCount: 3,
      role: "owner",
      unread: 0,
      version: 0,
      lastMessage: null,
    });
    expect(res.body.participants.map((p) => p.id).sort()).toEqual([owner.user.id, ana.user.id, bob.user.id].sort());
    const seen = await roomOf(ana, res.body.id);
    expect(seen).toMatchObject({ id: res.body.id, role: "member", memberCount: 3 });
    expect((await ana.api.get<Room[]>("/api/room/")).body.map((r) => r.id)).toContain(res.body.id);
    expect((await cid.api.get(`/api/room/${res.body.id}`)).status).toBe(404);
  });

  it("a direct room shows kind direct, no name, both participants and the role member", async () => {
    const res = await ana.api.post<Room>("/api/room/", { participant: cid.user.id });
    expect(res.body).toMatchObject({ kind: "direct", name: null, topic: null, memberCount: 2, role: "member" });
  });

  it("refuses bad groups with 400 or 404 naming the field", async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ name: "", participants: [ana.user.id] }, 400, "name"],
      [{ name: "   ", participants: [ana.user.id] }, 400, "name"],
      [{ name: "x".repeat(81), participants: [ana.user.id] }, 400, "name"],
      [{ name: "Dup", participants: [ana.user.id, ana.user.id] }, 400, "participants.1"],
      [{ name: "Unknown", participants: [ana.user.id, 987_654_321] }, 404, "participants.1"],
      [{ name: "Bad", participants: ["1"] }, 400, "participants.0"],
      [{ name: "Vis", participants: [], visibility: "secret" }, 400, "visibility"],
      [{ name: "Extra", participants: [], extra: 1 }, 400, "extra"],
    ];
    for (const [body, status, path] of cases) {
      const res = await owner.api.post("/api/room/", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(
        res.body.error.issues.map((i: { path: string }) => i.path),
        JSON.stringify(body),
      ).toContain(path);
    }
  });

  it("refuses a group past MAX_GROUP_MEMBERS (8 here) naming participants", async () => {
    const ids = await insertUsers(server.db.pool, "crowd", 8);
    const res = await owner.api.post("/api/room/", { name: "Big", participants: ids });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toBe("participants");
    expect((await owner.api.post("/api/room/", { name: "Full", participants: ids.slice(0, 7) })).status).toBe(201);
  });
});

describe("GET /api/room/: keyset paging by activity", () => {
  it("pages with limit and before, most recent activity first, and nothing is missed or repeated", async () => {
    const pager = await signUp(server.url, "pager");
    const ids = await insertUsers(server.db.pool, "peer", 7);
    const rooms: number[] = [];
    for (const id of ids) {
      rooms.push((await pager.api.post<Room>("/api/room/", { participant: id })).body.id);
    }
    // Activity in the third room moves it to the top.
    await send(pager, rooms[2]!, "bump");
    const all = (await pager.api.get<Room[]>("/api/room/")).body.map((r) => r.id);
    expect(all[0]).toBe(rooms[2]);
    expect(all).toHaveLength(7);
    const paged: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = (await pager.api.get<Room[]>(`/api/room/?limit=3${before ? `&before=${before}` : ""}`)).body;
      paged.push(...page.map((r) => r.id));
      if (page.length < 3) break;
      before = page.at(-1)!.id;
    }
    expect(paged).toEqual(all);
    const limit = await pager.api.get("/api/room/?limit=501");
    expect(limit.status).toBe(400);
    expect(limit.body.error.issues[0].path).toBe("limit");
    expect(await trpcClient(server.url, pager.token).room.list.query({ limit: 2 })).toHaveLength(2);
  });
});

describe("PATCH /api/room/:id", () => {
  it("the owner or an admin renames a group, each change takes the next version; a member gets 403", async () => {
    const room = await group([ana, bob]);
    expect((await owner.api.patch(`/api/room/${room.id}/members/${ana.user.id}`, { role: "admin" })).status).toBe(200);
    const renamed = await ana.api.patch<Room>(`/api/room/${room.id}`, { name: "Renamed", topic: null });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: "Renamed", topic: null, role: "admin", version: room.version + 2 });
    const byMember = await bob.api.patch(`/api/room/${room.id}`, { visibility: "public" });
    expect(byMember.status).toBe(403);
    const empty = await owner.api.patch(`/api/room/${room.id}`, {});
    expect(empty.status).toBe(400);
    expect(empty.body.error.issues[0].path).toBe("name");
    const long = await owner.api.patch(`/api/room/${room.id}`, { name: "y".repeat(81) });
    expect(long.body.error.issues[0].path).toBe("name");
    const direct = (await ana.api.post<Room>("/api/room/", { participant: bob.user.id })).body;
    const res = await ana.api.patch(`/api/room/${direct.id}`, { name: "No" });
    expect(res.status).toBe(409);
    expect(res.body.error.issues[0].path).toBe("id");
  });
});

describe("members", () => {
  it("lists members by user id with paging; the owner adds, makes admins, removes; each change is a version", async () => {
    const room = await group([ana]);
    const listed = (await ana.api.get<Member[]>(`/api/room/${room.id}/members`)).body;
    expect(listed.map((m) => [m.user.id, m.role])).toEqual(
      [
        [owner.user.id, "owner"],
        [ana.user.id, "member"],
      ].sort((x, y) => (x[0] as number) - (y[0] as number)),
    );
    const added = await owner.api.post<Member[]>(`/api/room/${room.id}/members`, {
      userIds: [bob.user.id, cid.user.id, ana.user.id],
    });
    expect(added.status).toBe(200);
    expect(added.body.map((m) => m.user.id).sort()).toEqual([bob.user.id, cid.user.id].sort());
    const page = (await owner.api.get<Member[]>(`/api/room/${room.id}/members?limit=2`)).body;
    const rest = (await owner.api.get<Member[]>(`/api/room/${room.id}/members?after=${page[1]!.user.id}`)).body;
    expect([...page, ...rest]).toHaveLength(4);

    const promoted = await owner.api.patch<Member>(`/api/room/${room.id}/members/${bob.user.id}`, { role: "admin" });
    expect(promoted.body).toMatchObject({ user: { id: bob.user.id }, role: "admin" });
    // An admin adds and removes members, but grants no role and never removes the owner.
    expect((await bob.api.patch(`/api/room/${room.id}/members/${cid.user.id}`, { role: "admin" })).status).toBe(403);
    expect((await bob.api.delete(`/api/room/${room.id}/members/${owner.user.id}`)).status).toBe(403);
    expect((await bob.api.delete(`/api/room/${room.id}/members/${cid.user.id}`)).status).toBe(200);
    // A removed member can no longer read the room.
    expect((await cid.api.get(`/api/room/${room.id}`)).status).toBe(404);
    expect((await cid.api.get(`/api/chat/${room.id}`)).status).toBe(404);
    expect((await cid.api.post("/api/chat/", { roomId: room.id, message: "still here?" })).status).toBe(404);
    // A member adds nobody.
    expect((await ana.api.post(`/api/room/${room.id}/members`, { userIds: [cid.user.id] })).status).toBe(403);

    const changes = (await ana.api.get<Changes>(`/api/room/${room.id}/changes?since=0`)).body;
    expect(changes.members!.map((m) => [m.user.id, m.status, m.role])).toEqual([
      [bob.user.id, "member", "admin"],
      [cid.user.id, "removed", null],
    ]);
    expect(changes.version).toBe(3);
    expect(changes.room).toMatchObject({ id: room.id, memberCount: 3 });
    const later = (await ana.api.get<Changes>(`/api/room/${room.id}/changes?since=3`)).body;
    expect(later).toEqual({ version: 3, messages: [], members: [], room: null });
  });

  it("refuses bad member changes naming the field", async () => {
    const room = await group([ana, bob]);
    const base = `/api/room/${room.id}/members`;
    const expectIssue = async (res: Promise<{ status: number; body: any }>, status: number, path: string) => {
      const answer = await res;
      expect(answer.status).toBe(status);
      expect(answer.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
    };
    await expectIssue(owner.api.post(base, { userIds: [] }), 400, "userIds");
    await expectIssue(owner.api.post(base, { userIds: [cid.user.id, cid.user.id] }), 400, "userIds.1");
    await expectIssue(owner.api.post(base, { userIds: [cid.user.id, 987_654_321] }), 404, "userIds.1");
    await expectIssue(owner.api.patch(`${base}/${ana.user.id}`, { role: "owner" }), 400, "role");
    await expectIssue(owner.api.patch(`${base}/${owner.user.id}`, { role: "member" }), 409, "role");
    await expectIssue(owner.api.patch(`${base}/${cid.user.id}`, { role: "admin" }), 404, "userId");
    await expectIssue(owner.api.delete(`${base}/${cid.user.id}`), 404, "userId");
    // Nothing was added by the refused calls.
    expect((await owner.api.get<Member[]>(base)).body).toHaveLength(3);
    const ids = await insertUsers(server.db.pool, "many", 6);
    await expectIssue(owner.api.post(base, { userIds: ids }), 409, "userIds");
    expect((await owner.api.get<Member[]>(base)).body).toHaveLength(3);
    const direct = (await ana.api.post<Room>("/api/room/", { participant: cid.user.id })).body;
    await expectIssue(ana.api.post(`/api/room/${direct.id}/members`, { userIds: [bob.user.id] }), 409, "id");
    await expectIssue(ana.api.delete(`/api/room/${direct.id}/members/${ana.user.id}`), 409, "id");
  });

  it("a member leaves; an owner who leaves hands the room to the oldest admin, else the oldest member", async () => {
    const room = await group([ana, bob, cid]);
    expect((await cid.api.delete(`/api/room/${room.id}/members/${cid.user.id}`)).status).toBe(200);
    expect((await cid.api.get(`/api/room/${room.id}`)).status).toBe(404);
    await owner.api.patch(`/api/room/${room.id}/members/${bob.user.id}`, { role: "admin" });
    expect((await owner.api.delete(`/api/room/${room.id}/members/${owner.user.id}`)).status).toBe(200);
    expect((await roomOf(bob, room.id)).role).toBe("owner");
    expect((await bob.api.delete(`/api/room/${room.id}/members/${bob.user.id}`)).status).toBe(200);
    expect(await roomOf(ana, room.id)).toMatchObject({ role: "owner", memberCount: 1 });
    // In version order (one version per change, the heir's promotion in the departure's), then by user id.
    const changes = (await ana.api.get<Changes>(`/api/room/${room.id}/changes?since=0`)).body;
    expect(changes.members!.map((m) => [m.version, m.user.id, m.status])).toEqual(
      [
        [1, cid.user.id, "left"],
        [3, owner.user.id, "left"],
        [4, bob.user.id, "left"],
        [4, ana.user.id, "member"],
      ].sort((x, y) => (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number)),
    );
  });

  it("concurrent adds and removes of one member end in one consistent state", async () => {
    const room = await group([ana]);
    const calls = Array.from({ length: 10 }, (_, i) =>
      i % 2
        ? owner.api.post(`/api/room/${room.id}/members`, { userIds: [bob.user.id] })
        : owner.api.delete(`/api/room/${room.id}/members/${bob.user.id}`),
    );
    const results = await Promise.all(calls);
    for (const r of results) expect([200, 404]).toContain(r.status);
    const members = (await owner.api.get<Member[]>(`/api/room/${room.id}/members`)).body;
    const inRoom = members.some((m) => m.user.id === bob.user.id);
    const view = await roomOf(owner, room.id);
    expect(view.memberCount).toBe(members.length);
    expect((await bob.api.get(`/api/room/${room.id}`)).status).toBe(inRoom ? 200 : 404);
    // The last membership change in version order says the same.
    const changes = (await owner.api.get<Changes>(`/api/room/${room.id}/changes?since=0`)).body;
    const last = changes.members!.filter((m) => m.user.id === bob.user.id).at(-1);
    expect(last?.status ?? "removed").toBe(inRoom ? "member" : "removed");
  });
});

describe("public groups", () => {
  it("are found by search and joined; a private group is neither found nor joined", async () => {
    const open = await group([ana], { name: "Gardening club", visibility: "public", topic: "tomatoes" });
    const closed = await group([ana], { name: "Gardening secrets" });
    const found = (await bob.api.get<PublicRoom[]>("/api/room/public?search=garden")).body;
    expect(found.map((r) => r.id)).toContain(open.id);
    expect(found.map((r) => r.id)).not.toContain(closed.id);
    expect(found.find((r) => r.id === open.id)).toEqual({
      id: open.id,
      name: "Gardening club",
      topic: "tomatoes",
      memberCount: 2,
      createdAt: open.createdAt,
    });
    expect((await bob.api.get<PublicRoom[]>("/api/room/public?search=tomat")).body.map((r) => r.id)).toContain(open.id);
    expect((await bob.api.post(`/api/room/${closed.id}/join`)).status).toBe(404);
    const joined = await bob.api.post<Room>(`/api/room/${open.id}/join`);
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ id: open.id, role: "member", memberCount: 3 });
    // Joining again changes nothing; a member no longer finds it among the groups to join.
    expect((await bob.api.post<Room>(`/api/room/${open.id}/join`)).body.version).toBe(joined.body.version);
    expect((await bob.api.get<PublicRoom[]>("/api/room/public?search=garden")).body.map((r) => r.id)).not.toContain(
      open.id,
    );
    const page = (await cid.api.get<PublicRoom[]>(`/api/room/public?limit=1&after=${open.id - 1}`)).body;
    expect(page.map((r) => r.id)).toEqual([open.id]);
  });

  it("a new member sees the whole history, with nothing unread", async () => {
    const open = await group([ana], { visibility: "public" });
    const first = await send(ana, open.id, "before you came");
    await bob.api.post(`/api/room/${open.id}/join`);
    const history = (await bob.api.get<Message[]>(`/api/chat/${open.id}`)).body;
    expect(history.map((m) => m.id)).toEqual([first.id]);
    expect((await roomOf(bob, open.id)).unread).toBe(0);
  });
});

describe("receipts in groups", () => {
  it("a message is recu once every other member has it, lu once every other member read it", async () => {
    const room = await group([ana, bob]);
    const m = await send(owner, room.id, "hello team");
    const m2 = await send(ana, room.id, "hi");
    expect((await roomOf(bob, room.id)).unread).toBe(2);
    expect((await roomOf(ana, room.id)).unread).toBe(1);

    const recu = await ana.api.patch<Message>(`/api/chat/${m.id}/state`, { state: "recu" });
    expect(recu.body.state).toBe("ok");
    const receipts = (await owner.api.get<Receipt[]>(`/api/chat/${m.id}/receipts`)).body;
    expect(receipts).toEqual(
      [
        { userId: ana.user.id, state: "recu" },
        { userId: bob.user.id, state: "ok" },
      ].sort((x, y) => x.userId - y.userId),
    );
    await bob.api.patch(`/api/chat/${m.id}/state`, { state: "recu" });
    expect(await stateOf(owner, m)).toBe("recu");

    await bob.api.post(`/api/room/${room.id}/read`, { messageId: m2.id });
    expect((await roomOf(bob, room.id)).unread).toBe(0);
    expect(await stateOf(owner, m)).toBe("recu");
    // ana read nothing of her own; the owner still has to read m2 for it to be lu.
    expect(await stateOf(owner, m2)).toBe("ok");
    const read = await ana.api.post<Message>(`/api/room/${room.id}/read`, { messageId: m.id });
    expect(read.body.state).toBe("lu");
    await owner.api.post(`/api/room/${room.id}/read`, { messageId: m2.id });
    expect(await stateOf(owner, m2)).toBe("lu");
    const after = (await ana.api.get<Receipt[]>(`/api/chat/${m2.id}/receipts`)).body;
    expect(after.every((r) => r.state === "lu")).toBe(true);
    expect(after.map((r) => r.userId)).not.toContain(ana.user.id);
  });

  it("removing the last member who had not read a message makes it lu", async () => {
    const room = await group([ana, bob]);
    const m = await send(owner, room.id, "read me");
    await ana.api.post(`/api/room/${room.id}/read`, { messageId: m.id });
    expect(await stateOf(owner, m)).toBe("ok");
    await owner.api.delete(`/api/room/${room.id}/members/${bob.user.id}`);
    const now = (await owner.api.get<Message[]>(`/api/chat/${room.id}`)).body.find((x) => x.id === m.id)!;
    expect(now.state).toBe("lu");
    const changes = (await owner.api.get<Changes>(`/api/room/${room.id}/changes?since=${m.version}`)).body;
    expect(changes.messages.map((x) => [x.id, x.state])).toEqual([[m.id, "lu"]]);
  });

  it("unread counts ignore deleted messages and one's own, in groups as in pairs", async () => {
    const room = await group([ana, bob]);
    const a1 = await send(ana, room.id, "a1");
    await send(bob, room.id, "b1");
    await send(owner, room.id, "o1");
    await ana.api.delete(`/api/chat/${a1.id}`);
    expect((await roomOf(owner, room.id)).unread).toBe(1);
    expect((await roomOf(ana, room.id)).unread).toBe(2);
    expect((await roomOf(bob, room.id)).unread).toBe(1);
  });

  it("tRPC serves the group procedures with the same answers", async () => {
    const t = trpcClient(server.url, owner.token);
    const room = await t.room.create.mutate({ name: "Over tRPC", participants: [ana.user.id] });
    expect(room).toMatchObject({ kind: "group", role: "owner" });
    expect(await t.room.get.query({ id: room.id })).toEqual((await owner.api.get(`/api/room/${room.id}`)).body);
    await t.room.addMembers.mutate({ id: room.id, userIds: [bob.user.id] });
    await t.room.setMemberRole.mutate({ id: room.id, userId: bob.user.id, role: "admin" });
    expect((await t.room.listMembers.query({ id: room.id })).find((m) => m.user.id === bob.user.id)?.role).toBe(
      "admin",
    );
    const m = await send(ana, room.id, "receipts?");
    expect(await t.message.receipts.query({ id: m.id })).toHaveLength(2);
    await t.room.update.mutate({ id: room.id, visibility: "public" });
    expect((await trpcClient(server.url, cid.token).room.discover.query({})).map((r) => r.id)).toContain(room.id);
    await trpcClient(server.url, cid.token).room.join.mutate({ id: room.id });
    await t.room.removeMember.mutate({ id: room.id, userId: cid.user.id });
    await expect(
      t.room.setMemberRole.mutate({ id: room.id, userId: owner.user.id, role: "member" }),
    ).rejects.toMatchObject({ data: { code: "CONFLICT", httpStatus: 409 } });
  });
});
