import { z } from "zod";

import { sql, type CommonQueryMethods } from "../slonik.ts";
import { MESSAGE_STATES, type MessageRow } from "./messages.ts";
import type { UserRow } from "./users.ts";

export interface RoomView {
  id: number;
  createdAt: string;
  version: number;
  participants: UserRow[];
  lastMessage: MessageRow | null;
  unread: number;
}

export function isRoomMember(db: CommonQueryMethods, roomId: number, userId: number): Promise<boolean> {
  return db.exists(sql.unsafe`SELECT 1 FROM room_members WHERE room_id = ${roomId} AND user_id = ${userId}`);
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

const RoomRowSchema = z.object({
  id: z.number(),
  createdAt: z.string(),
  version: z.number(),
  unread: z.number(),
  lowId: z.number(),
  lowUsername: z.string(),
  lowEmail: z.string(),
  lowCreatedAt: z.string(),
  highId: z.number(),
  highUsername: z.string(),
  highEmail: z.string(),
  highCreatedAt: z.string(),
  lmId: z.number().nullable(),
  lmSender: z.number().nullable(),
  lmBody: z.string().nullable(),
  lmState: z.enum(MESSAGE_STATES).nullable(),
  lmClientId: z.string().nullable(),
  lmVersion: z.number().nullable(),
  lmCreatedAt: z.string().nullable(),
  lmEditedAt: z.string().nullable(),
  lmDeletedAt: z.string().nullable(),
});
type RoomRow = z.infer<typeof RoomRowSchema>;

function toRoomView(row: RoomRow): RoomView {
  const lastMessage: MessageRow | null =
    row.lmId === null
      ? null
      : {
          id: row.lmId,
          roomId: row.id,
          sender: row.lmSender!,
          message: row.lmBody!,
          state: row.lmState!,
          clientId: row.lmClientId,
          version: row.lmVersion!,
          createdAt: row.lmCreatedAt!,
          editedAt: row.lmEditedAt,
          deletedAt: row.lmDeletedAt,
        };
  return {
    id: row.id,
    createdAt: row.createdAt,
    version: row.version,
    unread: row.unread,
    lastMessage,
    participants: [
      { id: row.lowId, username: row.lowUsername, email: row.lowEmail, createdAt: row.lowCreatedAt },
      { id: row.highId, username: row.highUsername, email: row.highEmail, createdAt: row.highCreatedAt },
    ],
  };
}

/**
 * The user's rooms (or one of them), most recent activity first, with both participants, the last
 * message and the unread count, in one query whatever the number of rooms.
 */
export async function listRoomsOf(db: CommonQueryMethods, userId: number, onlyRoomId?: number): Promise<RoomView[]> {
  const only = onlyRoomId === undefined ? sql.fragment`` : sql.fragment`AND r.id = ${onlyRoomId}`;
  // Not a named prepared statement: the embedded database is one session shared by every pool
  // connection, and a name prepared there outlives the connection the pool drops after an error
  // ("already exists" on every later call). Nothing may leave session state behind.
  const rows = await db.any(sql.type(RoomRowSchema)`
    SELECT r.id, r.created_at AS "createdAt", r.version,
      (SELECT count(*) FROM messages u
        WHERE u.room_id = r.id AND u.sender_id <> ${userId} AND u.state <> 'lu' AND u.deleted_at IS NULL
      )::int AS unread,
      lo.id AS "lowId", lo.username AS "lowUsername", lo.email AS "lowEmail", lo.created_at AS "lowCreatedAt",
      hi.id AS "highId", hi.username AS "highUsername", hi.email AS "highEmail", hi.created_at AS "highCreatedAt",
      lm.id AS "lmId", lm.sender_id AS "lmSender", lm.body AS "lmBody", lm.state AS "lmState",
      lm.client_id AS "lmClientId", lm.version AS "lmVersion", lm.created_at AS "lmCreatedAt",
      lm.edited_at AS "lmEditedAt", lm.deleted_at AS "lmDeletedAt"
    FROM room_members me
    JOIN rooms r ON r.id = me.room_id
    JOIN users lo ON lo.id = r.user_low
    JOIN users hi ON hi.id = r.user_high
    LEFT JOIN messages lm ON lm.id = r.last_message_id
    WHERE me.user_id = ${userId} ${only}
    ORDER BY r.last_activity_at DESC, r.id DESC`);
  return rows.map(toRoomView);
}

/** The other member of each of the user's rooms (presence goes to them). */
export function roomPartnersOf(db: CommonQueryMethods, userId: number): Promise<readonly number[]> {
  return db.anyFirst(sql.type(z.object({ userId: z.number() }))`
    SELECT DISTINCT other.user_id AS "userId" FROM room_members me
    JOIN room_members other ON other.room_id = me.room_id AND other.user_id <> me.user_id
    WHERE me.user_id = ${userId}`);
}
