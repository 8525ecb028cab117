import { z } from "zod";

import { sql, type CommonQueryMethods } from "../slonik.ts";
import { columnsOf, MESSAGE_STATES, MessageRowSchema, type MessageRow, type MessageStateValue } from "./messages.ts";

/** Above every message id. */
const NO_LIMIT = sql.fragment`9223372036854775807::bigint`;

/**
 * The floor of a position column for a message of `sender`: the lowest position among the room's
 * members other than the sender. From the two lowest positions of the room (`low.u` their users,
 * `low.v` their values): the second when the sender holds the lowest, else the lowest. With no
 * other member, nothing holds the message back.
 */
const floorFor = (low: string, sender: ReturnType<typeof sql.fragment>) => {
  const t = sql.identifier([low]);
  return sql.fragment`(CASE WHEN ${sender} = ${t}.u[1] THEN coalesce(${t}.v[2], ${NO_LIMIT})
    ELSE coalesce(${t}.v[1], ${NO_LIMIT}) END)`;
};

const lowest = (column: "read_id" | "delivered_id", roomId: number) => {
  const c = sql.identifier([column]);
  return sql.fragment`(
    SELECT array_agg(user_id ORDER BY ${c}, user_id) AS u, array_agg(${c} ORDER BY ${c}, user_id) AS v
    FROM (SELECT user_id, ${c} FROM room_members WHERE room_id = ${roomId} ORDER BY ${c}, user_id LIMIT 2) x)`;
};

/**
 * Brings the stored `state` of the room's messages with ids in (`after`, `upTo`] up to what the
 * members' positions say (`lu` once every other member has read a message, `recu` once every other
 * member has it delivered), at room version `version`, which the room takes if anything changed.
 * Reads only the two lowest positions of the room and the messages not yet `lu` in the range, so a
 * room of 10,000 members costs what a pair costs. The caller holds the room's lock, so the positions
 * read here are the latest.
 */
export function deriveStates(
  db: CommonQueryMethods,
  target: { roomId: number; after: number; upTo: number | null; version: number },
): Promise<readonly MessageRow[]> {
  const upTo = target.upTo === null ? sql.fragment`` : sql.fragment`AND m.id <= ${target.upTo}`;
  const sender = sql.fragment`m.sender_id`;
  return db.any(sql.type(MessageRowSchema)`
    WITH lr AS ${lowest("read_id", target.roomId)}, ld AS ${lowest("delivered_id", target.roomId)},
    target AS (
      SELECT m.id,
        CASE WHEN m.id <= ${floorFor("lr", sender)} THEN 'lu'
             WHEN m.id <= ${floorFor("ld", sender)} THEN 'recu' ELSE 'ok' END AS state
      FROM messages m, lr, ld
      WHERE m.room_id = ${target.roomId} AND m.id > ${target.after} ${upTo}
        AND m.id <= coalesce(ld.v[2], ${NO_LIMIT})
        AND m.deleted_at IS NULL AND m.state <> 'lu'
    ),
    w AS (
      UPDATE messages SET state = t.state, version = ${target.version} FROM target t
      WHERE messages.id = t.id AND (t.state = 'lu' OR (t.state = 'recu' AND messages.state = 'ok'))
      RETURNING messages.*
    ),
    bump AS (UPDATE rooms SET version = ${target.version} WHERE id = ${target.roomId} AND EXISTS (SELECT 1 FROM w))
    SELECT ${columnsOf("w")} FROM w ORDER BY w.id`);
}

export interface CursorMove {
  /** The member's read position before and after (equal when it did not move). */
  readBefore: number;
  readAfter: number;
  deliveredBefore: number;
}

/**
 * Moves the member's delivered position (and read position, for `lu`) forward to `upToId`, a
 * message of the room: one row written, whatever the room's size. Null when nothing moved (already
 * there, or not a member). The caller holds the room's lock.
 */
export function moveCursor(
  db: CommonQueryMethods,
  target: { roomId: number; userId: number; upToId: number; state: Exclude<MessageStateValue, "ok"> },
): Promise<CursorMove | null> {
  const x = target.upToId;
  const reads = target.state === "lu";
  return db.maybeOne(sql.type(z.object({ readBefore: z.number(), readAfter: z.number(), deliveredBefore: z.number() }))`
    WITH old AS (
      SELECT read_id, delivered_id FROM room_members WHERE room_id = ${target.roomId} AND user_id = ${target.userId}
    )
    UPDATE room_members me SET
      delivered_id = greatest(me.delivered_id, ${x}),
      read_id = CASE WHEN ${reads} THEN greatest(me.read_id, ${x}) ELSE me.read_id END,
      read_seq = CASE WHEN ${reads} AND me.read_id < ${x} THEN (SELECT seq FROM messages WHERE id = ${x}) ELSE me.read_seq END,
      own_after_read = CASE WHEN ${reads} AND me.read_id < ${x} THEN (
          SELECT count(*) FROM messages m WHERE m.room_id = ${target.roomId} AND m.sender_id = ${target.userId} AND m.id > ${x}
        ) ELSE me.own_after_read END
    FROM old
    WHERE me.room_id = ${target.roomId} AND me.user_id = ${target.userId}
      AND (old.delivered_id < ${x} OR (${reads} AND old.read_id < ${x}))
    RETURNING old.read_id AS "readBefore", me.read_id AS "readAfter", old.delivered_id AS "deliveredBefore"`);
}

const ReceiptRowSchema = z.object({ userId: z.number(), state: z.enum(MESSAGE_STATES) });
export type ReceiptRow = z.infer<typeof ReceiptRowSchema>;

/** How far each member other than the sender got with the message. */
export function receiptsOf(
  db: CommonQueryMethods,
  message: { id: number; roomId: number; sender: number },
): Promise<readonly ReceiptRow[]> {
  return db.any(sql.type(ReceiptRowSchema)`
    SELECT user_id AS "userId",
      CASE WHEN read_id >= ${message.id} THEN 'lu' WHEN delivered_id >= ${message.id} THEN 'recu' ELSE 'ok' END AS state
    FROM room_members WHERE room_id = ${message.roomId} AND user_id <> ${message.sender}
    ORDER BY user_id`);
}
