import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "./database.ts";
import { TEST_STORES, type TestStore } from "./file-stores.ts";
import {
  env,
  nextEvent,
  signUp,
  startServer,
  trpcClient,
  TRPCClientError,
  type TestServer,
  type TestUser,
} from "./harness.ts";
import { call, joined, pair, type Pair } from "./realtime-helpers.ts";

const HOUR = 3_600_000;

// Attachments are SQL (the send statement, the access rule, the sweep) and store work (the bytes
// served and removed): each database mode with each store.
const modes = [
  ["embedded PostgreSQL (PGlite)", undefined],
  ...(env.dbUrl ? [["PostgreSQL at DB_URL", env.dbUrl] as const] : []),
] as const;
const cases = modes.flatMap(([label, url]) =>
  TEST_STORES.map(([kind, openStore]) => [`${label}, ${kind} store`, url, openStore] as const),
);

async function upload(server: TestServer, user: TestUser, data: Uint8Array | string, name: string) {
  const form = new FormData();
  form.append("file", new Blob([data]), name);
  const response = await fetch(`${server.url}/api/files`, {
    method: "POST",
    body: form,
    headers: { authorization: `Bearer ${user.token}` },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: number; name: string; size: number; contentType: string };
}

async function status(server: TestServer, user: TestUser, path: string): Promise<number> {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${user.token}` } });
  await response.arrayBuffer();
  return response.status;
}

describe.each(cases)("attachments on %s", (_label, url, openStore) => {
  let db: TestDatabase;
  let t: TestStore;
  let server: TestServer;
  let now = Date.now();
  let p: Pair;
  let eve: TestUser;
  let png: Buffer;

  beforeAll(async () => {
    [db, t] = await Promise.all([createTestDatabase(url), openStore()]);
    server = await startServer({ db, store: t.store, config: { clock: () => now, fileSweepIntervalMs: 3_600_000 } });
    [p, eve] = await Promise.all([pair(server.url), signUp(server.url, "eve")]);
    png = await sharp({ create: { width: 64, height: 32, channels: 3, background: "#a37" } })
      .png()
      .toBuffer();
  });
  afterAll(async () => {
    await server?.close();
    await db?.destroy();
    await t?.close();
  });

  it("a REST send carries its files in order, live, in history, catch-up, search and the room list", async () => {
    const bobSocket = await joined(server.url, p.bob, p.room.id);
    const image = await upload(server, p.ana, png, "cat.png");
    const text = await upload(server, p.ana, "a log line\n", "server.log");
    expect((await p.bob.api.get(`/api/files/${image.id}`)).status).toBe(404);
    const before = (await p.bob.api.get(`/api/room/${p.room.id}/changes?since=0`)).body.version;

    const live = nextEvent(bobSocket, "receive_message");
    const sent = await p.ana.api.post("/api/chat/", {
      roomId: p.room.id,
      message: "zygomatic files",
      attachments: [text.id, image.id],
    });
    expect(sent.status).toBe(201);
    const expected = [
      { id: text.id, name: "server.log", size: text.size, contentType: "text/plain" },
      { id: image.id, name: "cat.png", size: png.length, contentType: "image/png", width: 64, height: 32 },
    ];
    expect(sent.body.attachments).toEqual(expected);
    expect((await live).attachments).toEqual(expected);

    const history = await p.bob.api.get(`/api/chat/${p.room.id}`);
    expect(history.body.find((m: any) => m.id === sent.body.id).attachments).toEqual(expected);
    const changes = await p.bob.api.get(`/api/room/${p.room.id}/changes?since=${before}`);
    expect(changes.body.messages.map((m: any) => m.attachments)).toEqual([expected]);
    const found = await p.bob.api.get("/api/chat/search?q=zygomatic");
    expect(found.body.map((m: any) => m.attachments)).toEqual([expected]);
    const rooms = await p.bob.api.get("/api/room/");
    expect(rooms.body.find((r: any) => r.id === p.room.id).lastMessage.attachments).toEqual(expected);

    // From now on the room's members read the files; nobody else does.
    expect(await status(server, p.bob, `/api/files/${image.id}`)).toBe(200);
    expect(await status(server, p.bob, `/api/files/${image.id}/thumbnail`)).toBe(200);
    expect(await status(server, p.bob, `/api/files/${text.id}`)).toBe(200);
    expect(await status(server, eve, `/api/files/${image.id}`)).toBe(404);
    expect(await status(server, eve, `/api/files/${image.id}/thumbnail`)).toBe(404);

    // A message without files carries an empty list.
    const plain = await p.ana.api.post("/api/chat/", { roomId: p.room.id, message: "no files" });
    expect(plain.body.attachments).toEqual([]);
  });

  it("tRPC and socket.io sends carry files too; a thread reply's files are in its thread", async () => {
    const [a, b, c] = await Promise.all(["a.txt", "b.txt", "c.txt"].map((n) => upload(server, p.ana, n, n)));
    const viaTrpc = await trpcClient(server.url, p.ana.token).message.send.mutate({
      roomId: p.room.id,
      message: "over tRPC",
      attachments: [a!.id],
    });
    expect(viaTrpc.attachments.map((f) => f.id)).toEqual([a!.id]);

    const anaSocket = await joined(server.url, p.ana, p.room.id);
    const ack = await call(anaSocket, "send_message", {
      roomId: p.room.id,
      message: "over socket.io",
      attachments: [b!.id],
    });
    expect(ack).toMatchObject({ ok: true, data: { attachments: [{ id: b!.id, name: "b.txt" }] } });

    const reply = await p.ana.api.post("/api/chat/", {
      roomId: p.room.id,
      message: "in the thread",
      parentId: viaTrpc.id,
      attachments: [c!.id],
    });
    expect(reply.status).toBe(201);
    const thread = await p.bob.api.get(`/api/chat/${viaTrpc.id}/thread`);
    expect(thread.body.map((m: any) => m.attachments.map((f: any) => f.id))).toEqual([[c!.id]]);
    for (const file of [a!, b!, c!]) expect(await status(server, p.bob, `/api/files/${file.id}`)).toBe(200);
  });

  describe("bad attachments: 400 naming the field, nothing stored, the files still private", () => {
    let mine: number;
    let bobs: number;
    let eleven: number[];
    beforeAll(async () => {
      mine = (await upload(server, p.ana, "mine", "mine.txt")).id;
      bobs = (await upload(server, p.bob, "bob's", "bob.txt")).id;
      eleven = [];
      for (let i = 0; i < 11; i += 1) eleven.push((await upload(server, p.ana, `f${i}`, `f${i}.txt`)).id);
    });

    const bad = () =>
      [
        [{ attachments: eleven }, "attachments"],
        [{ attachments: [mine, mine] }, "attachments"],
        [{ attachments: [mine, bobs] }, "attachments.1"],
        [{ attachments: [999_999_999] }, "attachments.0"],
        [{ attachments: [0] }, "attachments.0"],
        [{ attachments: "1" }, "attachments"],
      ] as const;

    async function expectNothingStored(version: number) {
      expect((await p.ana.api.get(`/api/room/${p.room.id}/changes?since=0`)).body.version).toBe(version);
      expect(await status(server, p.bob, `/api/files/${mine}`)).toBe(404);
      expect(await status(server, p.bob, `/api/files/${eleven[0]}`)).toBe(404);
      expect(await status(server, p.ana, `/api/files/${bobs}`)).toBe(404);
    }

    it("over REST", async () => {
      const version = (await p.ana.api.get(`/api/room/${p.room.id}/changes?since=0`)).body.version;
      for (const [extra, path] of bad()) {
        const answer = await p.ana.api.post("/api/chat/", { roomId: p.room.id, message: "x", ...extra });
        expect(answer.status, JSON.stringify(extra)).toBe(400);
        expect(answer.body.error.issues.map((i: any) => i.path)).toEqual([path]);
      }
      await expectNothingStored(version);
    });

    it("over tRPC", async () => {
      const version = (await p.ana.api.get(`/api/room/${p.room.id}/changes?since=0`)).body.version;
      const trpc = trpcClient(server.url, p.ana.token);
      for (const [extra, path] of bad()) {
        const error = await trpc.message.send
          .mutate({ roomId: p.room.id, message: "x", ...(extra as any) })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TRPCClientError);
        expect((error as any).data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400 });
        expect((error as any).data.issues.map((i: any) => i.path)).toEqual([path]);
      }
      await expectNothingStored(version);
    });

    it("over socket.io", async () => {
      const version = (await p.ana.api.get(`/api/room/${p.room.id}/changes?since=0`)).body.version;
      const socket = await joined(server.url, p.ana, p.room.id);
      for (const [extra, path] of bad()) {
        const ack = await call(socket, "send_message", { roomId: p.room.id, message: "x", ...extra });
        expect(ack).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
        expect(ack.ok === false && ack.error.issues?.map((i) => i.path)).toEqual([path]);
      }
      await expectNothingStored(version);
    });

    it("a room the caller is not in is still 404, whatever the attachments", async () => {
      const eves = (await upload(server, eve, "eve", "eve.txt")).id;
      const answer = await eve.api.post("/api/chat/", { roomId: p.room.id, message: "x", attachments: [eves] });
      expect(answer.status).toBe(404);
      expect(await status(server, p.ana, `/api/files/${eves}`)).toBe(404);
    });
  });

  it("in a group: members read the files, a removed member no longer does, a new member does", async () => {
    const [owner, kept, removed, later] = await Promise.all(
      ["owner", "kept", "removed", "later"].map((n) => signUp(server.url, n)),
    );
    const group = await owner!.api.post("/api/room/", {
      name: "Files",
      participants: [kept!.user.id, removed!.user.id],
    });
    expect(group.status).toBe(201);
    const file = await upload(server, owner!, png, "shot.png");
    const sent = await owner!.api.post("/api/chat/", {
      roomId: group.body.id,
      message: "look",
      attachments: [file.id],
    });
    expect(sent.status).toBe(201);
    for (const member of [kept!, removed!]) expect(await status(server, member, `/api/files/${file.id}`)).toBe(200);
    expect(await status(server, later!, `/api/files/${file.id}`)).toBe(404);

    expect((await owner!.api.delete(`/api/room/${group.body.id}/members/${removed!.user.id}`)).status).toBe(200);
    expect(await status(server, removed!, `/api/files/${file.id}`)).toBe(404);
    expect(await status(server, removed!, `/api/files/${file.id}/thumbnail`)).toBe(404);
    expect(await status(server, kept!, `/api/files/${file.id}`)).toBe(200);

    expect((await owner!.api.post(`/api/room/${group.body.id}/members`, { userIds: [later!.user.id] })).status).toBe(
      200,
    );
    expect(await status(server, later!, `/api/files/${file.id}`)).toBe(200);
  });

  it("keeps a file while a message carries it; once none does, the sweep removes it and its bytes", async () => {
    const other = await pair(server.url, ["ana2", "carl"]);
    const file = await upload(server, other.ana, png, "kept.png");
    const first = await other.ana.api.post("/api/chat/", {
      roomId: other.room.id,
      message: "one",
      attachments: [file.id],
    });
    const second = await other.ana.api.post("/api/chat/", {
      roomId: other.room.id,
      message: "two",
      attachments: [file.id],
    });
    expect([first.status, second.status]).toEqual([201, 201]);

    // Attached, it outlives the 24 hours of an unattached upload (the earlier tests' uploads go now).
    now += 25 * HOUR;
    await server.app.services.files.sweep();
    expect(await status(server, other.bob, `/api/files/${file.id}`)).toBe(200);
    const storedBefore = (await t.store.keys()).length;

    // One message deleted: its tombstone has no files; the other message still carries it.
    const deleted = await other.ana.api.delete(`/api/chat/${first.body.id}`);
    expect(deleted.body.attachments).toEqual([]);
    await server.app.services.files.sweep();
    expect(await status(server, other.bob, `/api/files/${file.id}`)).toBe(200);

    await other.ana.api.delete(`/api/chat/${second.body.id}`);
    // Its room no longer holds it: only its uploader reads it, until the sweep.
    expect(await status(server, other.bob, `/api/files/${file.id}`)).toBe(404);
    await server.app.services.files.sweep();
    expect(await status(server, other.ana, `/api/files/${file.id}`)).toBe(404);
    expect(await status(server, other.ana, `/api/files/${file.id}/thumbnail`)).toBe(404);
    expect((await t.store.keys()).length).toBe(storedBefore - 2); // the image and its thumbnail
    const history = await other.bob.api.get(`/api/chat/${other.room.id}`);
    expect(history.body.map((m: any) => m.attachments)).toEqual([[], []]);
  });
});
