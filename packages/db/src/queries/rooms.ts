import { z } from "zod";

import { sql, type CommonQueryMethods } from "../slonik.ts";
import { messageFields, MessageRowSchema, type MessageRow } from "./messages.ts";
import { userJson, UserRowSchema, type UserRow } from "./users.ts";

export const ROOM_KINDS = ["direct", "group"] as const;
export const ROOM_VISIBILITIES = ["private", "public"] as const;
export const MEMBER_ROLES = ["owner", "admin", "member"] as const;
export type RoomKind = (typeof ROOM_KINDS)[number];
export type RoomVisibility = (typeof ROOM_VISIBILITIES)[number];
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** How many members a room shows in `participants`; the members route lists the rest. */
export const PARTICIPANTS_SHOWN = 20;

export interface RoomView {
  id: number;
  kind: RoomKind;
  name: string | null;
  topic: string | null;
  visibility: RoomVisibility;
  memberCount: number;
  role: MemberRole;
  createdAt: string;
  version: number;
  participants: UserRow[];
  lastMessage: MessageRow | null;
  unread: number;
  mentions: number;
}

export function isRoomMember(db: CommonQueryMethods, roomId: number, userId: number): Promise<boolean> {
  return db.exists(sql.unsafe`SELECT 1 FROM room_members WHERE room_id = ${roomId} AND user_id = ${userId}`);
}

const MembershipSchema = z.object({
  roomId: z.number(),
  kind: z.enum(ROOM_KINDS),
  visibility: z.enum(ROOM_VISIBILITIES),
  role: z.enum(MEMBER_ROLES).nullable(),
  version: z.number(),
  memberCount: z.number(),
});
export type RoomAccess = z.infer<typeof MembershipSchema>;

/**
 * The room's kind and visibility, and the user's role in it (null when not a member); null when the
 * room does not exist. `lock` takes the room's row lock first (inside a transaction): membership
 * writes of one room then run one after another, each seeing the last one's result.
 */
export function roomAccess(
  db: CommonQueryMethods,
  roomId: number,
  userId: number,
  lock = false,
): Promise<RoomAccess | null> {
  return db.maybeOne(sql.type(MembershipSchema)`
    SELECT r.id AS "roomId", r.kind, r.visibility, me.role, r.version, r.member_count AS "memberCount"
    FROM rooms r LEFT JOIN room_members me ON me.room_id = r.id AND me.user_id = ${userId}
    WHERE r.id = ${roomId} ${lock ? sql.fragment`FOR UPDATE OF r` : sql.fragment``}`);
}

/** The room of the pair, created if missing; `created` tells which. Safe under concurrent calls. */
export async function ensureRoom(
  db: CommonQueryMethods,
  a: number,
  b: number,
): Promise<{ id: number; created: boolean }> {
  const [low, high] = a < b ? [a, b] : [b, a];
  const inserted = await db.maybeOneFirst(sql.type(z.object({ id: z.number() }))`
    WITH ins AS (
      INSERT INTO rooms (user_low, user_high) VALUES (${low}, ${high})
      ON CONFLICT ON CONSTRAINT rooms_pair_key DO NOTHING
      RETURNING id
    ), members AS (
      INSERT INTO room_members (room_id, user_id)
      SELECT ins.id, u FROM ins, unnest(${sql.array([low, high], "int8")}) AS u
    )
    SELECT id FROM ins`);
  if (inserted !== null) return { id: inserted, created: true };
  // A concurrent create won: its row committed after this statement's snapshot, so look again.
  const id = await db.oneFirst(sql.type(z.object({ id: z.number() }))`
    SELECT id FROM rooms WHERE user_low = ${low} AND user_high = ${high}`);
  return { id, created: false };
}

/** A new group whose owner is `owner` and whose other members are `members` (checked to exist). */
export function insertGroup(
  db: CommonQueryMethods,
  group: { owner: number; members: readonly number[]; name: string; topic: string | null; visibility: RoomVisibility },
): Promise<number> {
  return db.oneFirst(sql.type(z.object({ id: z.number() }))`
    WITH ins AS (
      INSERT INTO rooms (kind, name, topic, visibility, member_count)
      VALUES ('group', ${group.name}, ${group.topic}, ${group.visibility}, ${group.members.length + 1})
      RETURNING id
    ), members AS (
      INSERT INTO room_members (room_id, user_id, role)
      SELECT ins.id, ${group.owner}, 'owner' FROM ins
      UNION ALL
      SELECT ins.id, u, 'member' FROM ins, unnest(${sql.array([...group.members], "int8")}) AS u
    )
    SELECT id FROM ins`);
}

/** Changes a group's name, topic or visibility at the next room version; answers that version. */
export function updateGroup(
  db: CommonQueryMethods,
  roomId: number,
  changes: { name?: string | undefined; topic?: string | null | undefined; visibility?: RoomVisibility | undefined },
): Promise<number> {
  const sets = [sql.fragment`version = version + 1`, sql.fragment`meta_version = version + 1`];
  if (changes.name !== undefined) sets.push(sql.fragment`name = ${changes.name}`);
  if (changes.topic !== undefined) sets.push(sql.fragment`topic = ${changes.topic}`);
  if (changes.visibility !== undefined) sets.push(sql.fragment`visibility = ${changes.visibility}`);
  return db.oneFirst(sql.type(z.object({ version: z.number() }))`
    UPDATE rooms SET ${sql.join(sets, sql.fragment`, `)} WHERE id = ${roomId} RETURNING version`);
}

/** The last message's fields in a room row: `lm` and the field's name (`lmId`, `lmRoomId`...). */
const lastMessageKey = (field: string) => `lm${field[0]!.toUpperCase()}${field.slice(1)}`;
const lastMessageShape = Object.fromEntries(
  Object.entries(MessageRowSchema.shape).map(([field, schema]) => [lastMessageKey(field), schema.nullable()]),
);

const RoomRowSchema = z
  .object({
    id: z.number(),
    kind: z.enum(ROOM_KINDS),
    name: z.string().nullable(),
    topic: z.string().nullable(),
    visibility: z.enum(ROOM_VISIBILITIES),
    memberCount: z.number(),
    role: z.enum(MEMBER_ROLES),
    createdAt: z.string(),
    version: z.number(),
    unread: z.number(),
    mentions: z.number(),
    participants: z.array(UserRowSchema),
  })
  .extend(lastMessageShape);
type RoomRow = z.infer<typeof RoomRowSchema>;

function toRoomView(row: RoomRow): RoomView {
  const room: Record<string, unknown> = {};
  const last: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (/^lm[A-Z]/.test(key)) last[key[2]!.toLowerCase() + key.slice(3)] = value;
    else room[key] = value;
  }
  return { ...(room as Omit<RoomView, "lastMessage">), lastMessage: last.id === null ? null : (last as MessageRow) };
}

export interface RoomPage {
  limit: number;
  /** Rooms whose last activity is older than this room's. */
  before?: number | undefined;
}

/**
 * The user's rooms (a page of them, or one), most recent activity first, each with its first
 * members, last message, unread count and unread mentions, in one statement. Nothing here counts
 * messages: the unread count is the room's message number minus the reader's, less the reader's
 * own messages and the deleted ones after the reader's position (both few); the unread mentions
 * are the reader's mention rows above their position.
 */
export async function listRoomsOf(
  db: CommonQueryMethods,
  userId: number,
  scope: { roomId: number } | RoomPage,
): Promise<RoomView[]> {
  let filter = sql.fragment``;
  let limit = sql.fragment``;
  if ("roomId" in scope) {
    filter = sql.fragment`AND r.id = ${scope.roomId}`;
  } else {
    limit = sql.fragment`LIMIT ${scope.limit}`;
    if (scope.before !== undefined) {
      filter = sql.fragment`AND (r.last_activity_at, r.id) < (
        SELECT b.last_activity_at, b.id FROM rooms b JOIN room_members bm ON bm.room_id = b.id AND bm.user_id = ${userId}
        WHERE b.id = ${scope.before})`;
    }
  }
  // Not a named prepared statement: the embedded database is one session shared by every pool
  // connection, and a name prepared there outlives the connection the pool drops after an error
  // ("already exists" on every later call). Nothing may leave session state behind.
  const rows = await db.any(sql.type(RoomRowSchema)`
    SELECT r.id, r.kind, r.name, r.topic, r.visibility, r.member_count AS "memberCount", me.role,
      r.created_at AS "createdAt", r.version,
      (r.message_seq - me.read_seq - me.own_after_read - (
        SELECT count(*) FROM messages d
        WHERE d.room_id = r.id AND d.deleted_at IS NOT NULL AND d.seq > me.read_seq AND d.sender_id <> me.user_id
      ))::int AS unread,
      (SELECT coalesce(json_agg(${userJson} ORDER BY p.joined_at, p.user_id), '[]')
        FROM (SELECT pm.user_id, pm.joined_at FROM room_members pm WHERE pm.room_id = r.id
              ORDER BY pm.joined_at, pm.user_id LIMIT ${PARTICIPANTS_SHOWN}) p
        JOIN users u ON u.id = p.user_id) AS participants,
      (SELECT count(*) FROM message_mentions mm
        WHERE mm.user_id = me.user_id AND mm.room_id = r.id AND mm.seq > me.read_seq)::int AS mentions,
      ${sql.join(
        messageFields("lm", userId).map(
          ([expression, field]) => sql.fragment`${expression} AS ${sql.identifier([lastMessageKey(field)])}`,
        ),
        sql.fragment`, `,
      )}
    FROM room_members me
    JOIN rooms r ON r.id = me.room_id
    LEFT JOIN messages lm ON lm.id = r.last_message_id
    WHERE me.user_id = ${userId} ${filter}
    ORDER BY r.last_activity_at DESC, r.id DESC ${limit}`);
  return rows.map(toRoomView);
}

const PublicRoomRowSchema = z.object({
  id: z.number(),
  name: z.string(),
  topic: z.string().nullable(),
  memberCount: z.number(),
  createdAt: z.string(),
});
export type PublicRoomRow = z.infer<typeof PublicRoomRowSchema>;

/** Public groups the user is not in, by id, optionally whose name or topic contains `search`. */
export function listPublicRooms(
  db: CommonQueryMethods,
  query: { userId: number; search?: string | undefined; after?: number | undefined; limit: number },
): Promise<readonly PublicRoomRow[]> {
  const conditions = [
    sql.fragment`r.kind = 'group' AND r.visibility = 'public' AND r.id > ${query.after ?? 0}`,
    sql.fragment`NOT EXISTS (SELECT 1 FROM room_members me WHERE me.room_id = r.id AND me.user_id = ${query.userId})`,
  ];
  if (query.search) {
    const pattern = `%${query.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(sql.fragment`(lower(r.name) || ' ' || lower(coalesce(r.topic, ''))) LIKE ${pattern}`);
  }
  return db.any(sql.type(PublicRoomRowSchema)`
    SELECT r.id, r.name, r.topic, r.member_count AS "memberCount", r.created_at AS "createdAt"
    FROM rooms r WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY r.id LIMIT ${query.limit}`);
}

/** The other members of each of the user's direct rooms (presence goes to them). */
export function roomPartnersOf(db: CommonQueryMethods, userId: number): Promise<readonly number[]> {
  return db.anyFirst(sql.type(z.object({ userId: z.number() }))`
    SELECT DISTINCT other.user_id AS "userId" FROM room_members me
    JOIN rooms r ON r.id = me.room_id AND r.kind = 'direct'
    JOIN room_members other ON other.room_id = me.room_id AND other.user_id <> me.user_id
    WHERE me.user_id = ${userId}`);
}

/** The current version of each of these rooms (a room that no longer exists is left out). */
export async function roomVersions(
  db: CommonQueryMethods,
  roomIds: readonly number[],
): Promise<Array<{ roomId: number; version: number }>> {
  if (roomIds.length === 0) return [];
  return [
    ...(await db.any(sql.type(z.object({ roomId: z.number(), version: z.number() }))`
      SELECT id AS "roomId", version FROM rooms WHERE id = ANY(${sql.array(roomIds, "int8")})`)),
  ];
}
