import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Changes, Message, Room } from "@causette/contracts";
import { loadMigrations, migrate, openDatabase, startEmbeddedPostgres } from "@causette/db";

import { createTokenIssuer } from "../src/auth/tokens.ts";
import { withDatabase, type TestDatabase } from "./database.ts";
import { env, http, startServer, testConfig, type TestServer } from "./harness.ts";

/**
 * A database built by the first release's migration (001) with data in it, upgraded in place by
 * the later ones: every room, message, state, unread count and version reads the same through the
 * API afterwards as it did through the first release's queries before.
 */

const USERS = 5;
// Pairs of user indexes: several rooms per user, one room left empty.
const PAIRS: Array<[number, number]> = [
  [0, 1],
  [0, 2],
  [1, 2],
  [2, 3],
  [3, 4],
  [0, 4],
];

/** Rooms, members and messages as release 001 writes them: receipts cumulative per sender, some deleted. */
async function seedFirstRelease(client: pg.Client): Promise<void> {
  await client.query(`
    INSERT INTO users (username, email, password_hash)
    SELECT 'old_' || g, 'old' || g || '@example.com', 'x' FROM generate_series(1, ${USERS}) g`);
  const users = (await client.query<{ id: string }>("SELECT id FROM users ORDER BY id")).rows.map((r) => Number(r.id));
  for (const [index, [a, b]] of PAIRS.entries()) {
    const [low, high] = [users[a]!, users[b]!].sort((x, y) => x - y) as [number, number];
    const room = Number(
      (
        await client.query<{ id: string }>(
          "INSERT INTO rooms (user_low, user_high, created_at) VALUES ($1, $2, now() - $3 * interval '1 hour') RETURNING id",
          [low, high, index],
        )
      ).rows[0]!.id,
    );
    await client.query("INSERT INTO room_members (room_id, user_id) VALUES ($1, $2), ($1, $3)", [room, low, high]);
    if (index === PAIRS.length - 1) continue; // an empty room
    const count = 12 + index * 3;
    // Messages alternate in runs; each receiver read the first third of the other's messages and got
    // the second third, as cumulative receipts leave them; one message of each sender is deleted.
    await client.query(
      `INSERT INTO messages (room_id, sender_id, body, version, created_at, client_id)
       SELECT $1, CASE WHEN (g / 3) % 2 = 0 THEN $2::bigint ELSE $3::bigint END, 'message ' || g, g,
         now() - ($4 - g) * interval '1 minute', CASE WHEN g % 4 = 0 THEN 'c' || g END
       FROM generate_series(1, $4::int) g`,
      [room, low, high, count],
    );
    await client.query(
      `UPDATE messages SET state = CASE WHEN id <= $2 THEN 'lu' ELSE 'recu' END
       WHERE room_id = $1 AND id <= $3`,
      [room, ...(await thirds(client, room))],
    );
    await client.query(
      `UPDATE messages SET body = '', deleted_at = now(), version = $2 + 1
       WHERE id IN (SELECT max(id) FROM messages WHERE room_id = $1 GROUP BY sender_id)`,
      [room, count],
    );
    await client.query(
      `UPDATE rooms SET version = $2 + 1, last_message_id = (SELECT max(id) FROM messages WHERE room_id = $1),
         last_activity_at = now() - $3 * interval '1 second' WHERE id = $1`,
      [room, count, index],
    );
  }
}

async function thirds(client: pg.Client, room: number): Promise<[number, number]> {
  const ids = (await client.query<{ id: string }>("SELECT id FROM messages WHERE room_id = $1 ORDER BY id", [room]))
    .rows;
  const at = (fraction: number) => Number(ids[Math.floor(ids.length * fraction)]!.id);
  return [at(1 / 3), at(2 / 3)];
}

const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const MESSAGE = (t: string) => `json_build_object('id', ${t}.id, 'roomId', ${t}.room_id, 'sender', ${t}.sender_id,
  'message', ${t}.body, 'state', ${t}.state, 'clientId', ${t}.client_id, 'version', ${t}.version,
  'createdAt', ${ISO(`${t}.created_at`)}, 'editedAt', ${ISO(`${t}.edited_at`)}, 'deletedAt', ${ISO(`${t}.deleted_at`)})`;
const USER = (t: string) =>
  `json_build_object('id', ${t}.id, 'username', ${t}.username, 'email', ${t}.email, 'createdAt', ${ISO(`${t}.created_at`)})`;

/** What release 001's API answered, read with its own queries: each user's rooms, each room's messages and version. */
async function firstReleaseView(client: pg.Client) {
  const rooms = await client.query<{ userId: string; rooms: Room[] }>(`
    SELECT u.id AS "userId", coalesce((
      SELECT json_agg(json_build_object('id', r.id, 'createdAt', ${ISO("r.created_at")}, 'version', r.version,
        'unread', (SELECT count(*) FROM messages x WHERE x.room_id = r.id AND x.sender_id <> u.id
                     AND x.state <> 'lu' AND x.deleted_at IS NULL),
        'participants', json_build_array(${USER("lo")}, ${USER("hi")}),
        'lastMessage', CASE WHEN lm.id IS NULL THEN NULL ELSE ${MESSAGE("lm")} END)
        ORDER BY r.last_activity_at DESC, r.id DESC)
      FROM room_members me JOIN rooms r ON r.id = me.room_id
      JOIN users lo ON lo.id = r.user_low JOIN users hi ON hi.id = r.user_high
      LEFT JOIN messages lm ON lm.id = r.last_message_id
      WHERE me.user_id = u.id), '[]') AS rooms
    FROM users u ORDER BY u.id`);
  const messages = await client.query<{ roomId: string; version: string; messages: Message[] }>(`
    SELECT r.id AS "roomId", r.version,
      coalesce((SELECT json_agg(${MESSAGE("m")} ORDER BY m.id) FROM messages m WHERE m.room_id = r.id), '[]') AS messages
    FROM rooms r ORDER BY r.id`);
  return {
    rooms: new Map(rooms.rows.map((r) => [Number(r.userId), r.rooms])),
    histories: messages.rows.map((r) => ({ id: Number(r.roomId), version: Number(r.version), messages: r.messages })),
  };
}

/** A new empty database (on DB_URL's PostgreSQL, or an embedded one) with release 001's schema. */
async function firstReleaseDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const first = loadMigrations().filter((m) => m.version === 1);
  if (!env.dbUrl) {
    const embedded = await startEmbeddedPostgres();
    await migrate(embedded.url, first);
    return { url: embedded.url, drop: () => embedded.stop() };
  }
  const serverUrl = env.dbUrl;
  const name = `causette_up_${randomBytes(5).toString("hex")}`;
  const admin = async (statement: string) => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    await c.query(statement);
    await c.end();
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = withDatabase(serverUrl, name);
  await migrate(url, first);
  return { url, drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

let database: { url: string; drop(): Promise<void> };
let before: Awaited<ReturnType<typeof firstReleaseView>>;
let server: TestServer;
const tokens = createTokenIssuer(testConfig().jwtSecret, "1h");

beforeAll(async () => {
  database = await firstReleaseDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await seedFirstRelease(client);
    before = await firstReleaseView(client);
  } finally {
    await client.end();
  }
  // Opening the database applies the later migrations, as a start of the new release does.
  const db = await openDatabase({ url: database.url, ...(env.dbUrl ? {} : { maxPoolSize: 1 }) });
  server = await startServer({ db: { ...db, destroy: () => db.close() } satisfies TestDatabase });
});
afterAll(async () => {
  await server?.close();
  await server?.db.destroy();
  await database?.drop();
});

const apiOf = (userId: number) => http(server.url, tokens.sign(userId, 0));
const FIRST_RELEASE_ROOM_FIELDS = ["id", "createdAt", "version", "unread", "participants", "lastMessage"] as const;
const FIRST_RELEASE_MESSAGE_FIELDS = [
  "id",
  "roomId",
  "sender",
  "message",
  "state",
  "clientId",
  "version",
  "createdAt",
  "editedAt",
  "deletedAt",
] as const;
/** A message as release 001 answered it; what came later holds its defaults (no thread, quote, reaction, mention or attachment). */
function firstRelease(message: Message) {
  expect(message).toMatchObject({
    parentId: null,
    quoted: null,
    replyCount: 0,
    reactions: [],
    mentions: [],
    attachments: [],
  });
  return Object.fromEntries(FIRST_RELEASE_MESSAGE_FIELDS.map((key) => [key, message[key]]));
}

describe("upgrading a database of the first release", () => {
  it("holds messages in every state, deleted ones and an empty room", () => {
    const states = new Set(before.histories.flatMap((r) => r.messages.map((m) => m.state)));
    expect([...states].sort()).toEqual(["lu", "ok", "recu"]);
    expect(before.histories.some((r) => r.messages.some((m) => m.deletedAt !== null))).toBe(true);
    expect(before.histories.some((r) => r.messages.length === 0)).toBe(true);
    expect([...before.rooms.values()].some((rooms) => rooms.some((room) => room.unread > 0))).toBe(true);
  });

  it("answers every user's rooms as before (order, participants, last message, unread, version), now as direct rooms", async () => {
    for (const [userId, rooms] of before.rooms) {
      const res = await apiOf(userId).get<Room[]>("/api/room/");
      expect(res.status).toBe(200);
      const seen = res.body.map((room) =>
        Object.fromEntries(
          FIRST_RELEASE_ROOM_FIELDS.map((key) => [
            key,
            key === "lastMessage" && room.lastMessage ? firstRelease(room.lastMessage) : room[key],
          ]),
        ),
      );
      expect(seen, `rooms of user ${userId}`).toEqual(rooms);
      for (const room of res.body) expect(room).toMatchObject({ kind: "direct", name: null, memberCount: 2 });
    }
  });

  it("answers every room's messages, states and version as before", async () => {
    for (const room of before.histories) {
      const member = [...before.rooms].find(([, rooms]) => rooms.some((r) => r.id === room.id))![0];
      const api = apiOf(member);
      expect((await api.get<Message[]>(`/api/chat/${room.id}?limit=200`)).body.map(firstRelease)).toEqual(
        room.messages,
      );
      const changes = (await api.get<Changes>(`/api/room/${room.id}/changes?since=0`)).body;
      expect(changes.version).toBe(room.version);
      expect(changes.messages.map((m) => m.id).sort((x, y) => x - y)).toEqual(room.messages.map((m) => m.id));
    }
  });

  it("keeps working after the upgrade: receipts move on from where they were, sends number on", async () => {
    const room = before.histories.find((r) => r.messages.some((m) => m.state === "ok" && m.deletedAt === null))!;
    const target = room.messages.findLast((m) => m.state === "ok" && m.deletedAt === null)!;
    const reader = [...before.rooms].find(
      ([userId, rooms]) => userId !== target.sender && rooms.some((r) => r.id === room.id),
    )![0];
    const read = await apiOf(reader).post<Message>(`/api/room/${room.id}/read`, { messageId: target.id });
    expect(read.body).toMatchObject({ id: target.id, state: "lu", version: room.version + 1 });
    const after = (await apiOf(reader).get<Room[]>("/api/room/")).body.find((r) => r.id === room.id)!;
    const expectedUnread = room.messages.filter(
      (m) => m.sender !== reader && m.id > target.id && m.deletedAt === null,
    ).length;
    expect(after.unread).toBe(expectedUnread);
    const sent = await apiOf(target.sender).post<Message>("/api/chat/", { roomId: room.id, message: "after upgrade" });
    expect(sent.body.version).toBe(room.version + 2);
    expect((await apiOf(reader).get<Room[]>("/api/room/")).body.find((r) => r.id === room.id)!.unread).toBe(
      expectedUnread + 1,
    );
  });
});
