import { z } from "zod";

import { sql, type CommonQueryMethods } from "../slonik.ts";

export const MESSAGE_STATES = ["ok", "recu", "lu"] as const;
export type MessageStateValue = (typeof MESSAGE_STATES)[number];

export const MessageRowSchema = z.object({
  id: z.number(),
  roomId: z.number(),
  sender: z.number(),
  message: z.string(),
  state: z.enum(MESSAGE_STATES),
  clientId: z.string().nullable(),
  version: z.number(),
  createdAt: z.string(),
  editedAt: z.string().nullable(),
  deletedAt: z.string().nullable(),
});
export type MessageRow = z.infer<typeof MessageRowSchema>;

export const columnsOf = (alias: string) => {
  const t = sql.identifier([alias]);
  return sql.fragment`${t}.id, ${t}.room_id AS "roomId", ${t}.sender_id AS sender, ${t}.body AS message,
    ${t}.state, ${t}.client_id AS "clientId", ${t}.version, ${t}.created_at AS "createdAt",
    ${t}.edited_at AS "editedAt", ${t}.deleted_at AS "deletedAt"`;
};
export const messageColumns = columnsOf("m");
const returning = sql.fragment`RETURNING messages.id, messages.room_id, messages.sender_id, messages.body,
  messages.state, messages.client_id, messages.version, messages.created_at, messages.edited_at, messages.deleted_at,
  messages.seq`;

/**
 * Every change to a room's messages (sends are `insertMessages`) is one statement built here: it
 * locks the room row (only if `actor` is a member: nobody writes to a room they are not in), takes
 * the room's next version, applies `write` (which reads that version as `r.v` and returns the
 * messages it touched), and stores the version on the room only if the write touched something.
 * One statement means one round trip and no explicit transaction, and the row lock orders
 * concurrent writes to a room.
 */
function versionedWrite(roomId: number, actor: number, write: ReturnType<typeof sql.fragment>) {
  return sql.type(MessageRowSchema)`
    WITH r AS (
      SELECT id, version + 1 AS v FROM rooms
      WHERE id = ${roomId} AND EXISTS (SELECT 1 FROM room_members WHERE room_id = ${roomId} AND user_id = ${actor})
      FOR UPDATE
    ),
    w AS (${write} ${returning}),
    bump AS (
      UPDATE rooms SET version = r.v FROM r
      WHERE rooms.id = r.id AND EXISTS (SELECT 1 FROM w)
    )
    SELECT ${columnsOf("w")} FROM w ORDER BY w.id`;
}

export interface NewMessage {
  roomId: number;
  sender: number;
  message: string;
  clientId: string | null;
}

/**
 * Inserts several messages, possibly in several rooms, in one statement (one round trip, one
 * commit), in input order. Each room row is locked (in id order, so concurrent batches never
 * deadlock) and its messages take the room's next versions.
 * Answers, per input, the stored message, or null when it was not inserted: a retry of a stored
 * `clientId`, or a sender who is not in the room. (A retry racing its first send in another
 * statement is caught by the unique index and leaves a gap in the room's versions, which
 * catch-up by `version > since` tolerates.)
 */
export async function insertMessages(
  db: CommonQueryMethods,
  inputs: readonly NewMessage[],
): Promise<Array<MessageRow | null>> {
  if (inputs.length === 0) return [];
  const rows = await db.any(sql.type(MessageRowSchema.extend({ ord: z.number() }))`
    WITH input AS (
      SELECT * FROM unnest(
        ${sql.array(
          inputs.map((i) => i.roomId),
          "int8",
        )},
        ${sql.array(
          inputs.map((i) => i.sender),
          "int8",
        )},
        ${sql.array(
          inputs.map((i) => i.message),
          "text",
        )},
        ${sql.array(
          inputs.map((i) => i.clientId),
          "text",
        )}
      ) WITH ORDINALITY AS i(room_id, sender_id, body, client_id, ord)
    ),
    r AS (
      SELECT rooms.id, rooms.version, rooms.message_seq FROM rooms
      WHERE rooms.id IN (SELECT room_id FROM input)
      ORDER BY rooms.id
      FOR UPDATE
    ),
    fresh AS (
      SELECT i.* FROM input i
      WHERE EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = i.room_id AND rm.user_id = i.sender_id)
        AND (i.client_id IS NULL OR NOT EXISTS (
          SELECT 1 FROM messages e WHERE e.room_id = i.room_id AND e.sender_id = i.sender_id AND e.client_id = i.client_id))
        -- The first of the same (room, sender, clientId) within the batch.
        AND NOT EXISTS (
          SELECT 1 FROM input d WHERE d.client_id IS NOT NULL AND d.client_id = i.client_id
            AND d.room_id = i.room_id AND d.sender_id = i.sender_id AND d.ord < i.ord)
    ),
    numbered AS (
      SELECT f.*, row_number() OVER (PARTITION BY f.room_id ORDER BY f.ord) AS k, r.version, r.message_seq
      FROM fresh f JOIN r ON r.id = f.room_id
    ),
    w AS (
      INSERT INTO messages (room_id, sender_id, body, client_id, version, seq)
      SELECT room_id, sender_id, body, client_id, version + k, message_seq + k FROM numbered ORDER BY ord
      ON CONFLICT (room_id, sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
      ${returning}
    ),
    bump AS (
      UPDATE rooms SET version = x.v, message_seq = x.seq, last_message_id = x.id, last_activity_at = now()
      FROM (SELECT w.room_id, max(w.version) AS v, max(w.seq) AS seq, max(w.id) AS id FROM w GROUP BY w.room_id) x
      WHERE rooms.id = x.room_id
    ),
    -- The sender's own messages after their read position never count as unread for them.
    own AS (
      UPDATE room_members SET own_after_read = own_after_read + x.n
      FROM (SELECT w.room_id, w.sender_id, count(*) AS n FROM w GROUP BY w.room_id, w.sender_id) x
      WHERE room_members.room_id = x.room_id AND room_members.user_id = x.sender_id
    )
    SELECT ${columnsOf("w")}, n.ord FROM w JOIN numbered n ON n.room_id = w.room_id AND n.version + n.k = w.version
    ORDER BY n.ord`);
  const byOrd = new Map(rows.map(({ ord, ...row }) => [ord, row]));
  return inputs.map((_, index) => byOrd.get(index + 1) ?? null);
}

export function findMessageByClientId(
  db: CommonQueryMethods,
  key: { roomId: number; sender: number; clientId: string },
): Promise<MessageRow | null> {
  return db.maybeOne(sql.type(MessageRowSchema)`
    SELECT ${messageColumns} FROM messages m
    WHERE m.room_id = ${key.roomId} AND m.sender_id = ${key.sender} AND m.client_id = ${key.clientId}`);
}

export function findMessage(db: CommonQueryMethods, id: number): Promise<MessageRow | null> {
  return db.maybeOne(sql.type(MessageRowSchema)`SELECT ${messageColumns} FROM messages m WHERE m.id = ${id}`);
}

export async function listMessages(
  db: CommonQueryMethods,
  roomId: number,
  page: { before?: number | undefined; after?: number | undefined; limit: number },
): Promise<MessageRow[]> {
  if (page.after !== undefined) {
    return [
      ...(await db.any(sql.type(MessageRowSchema)`
        SELECT ${messageColumns} FROM messages m
        WHERE m.room_id = ${roomId} AND m.id > ${page.after}
        ORDER BY m.id LIMIT ${page.limit}`)),
    ];
  }
  const before = page.before === undefined ? sql.fragment`` : sql.fragment`AND m.id < ${page.before}`;
  const newestFirst = await db.any(sql.type(MessageRowSchema)`
    SELECT ${messageColumns} FROM messages m
    WHERE m.room_id = ${roomId} ${before}
    ORDER BY m.id DESC LIMIT ${page.limit}`);
  return newestFirst.toReversed();
}

/** The sender's own message, in the locked room `r`, not deleted: what an edit or delete may touch. */
const ownLiveMessage = (target: { id: number; sender: number }) => sql.fragment`
  messages.id = ${target.id} AND messages.room_id = r.id
  AND messages.sender_id = ${target.sender} AND messages.deleted_at IS NULL`;

export function editMessage(
  db: CommonQueryMethods,
  target: { id: number; roomId: number; sender: number; message: string },
): Promise<MessageRow | null> {
  return db.maybeOne(
    versionedWrite(
      target.roomId,
      target.sender,
      sql.fragment`
        UPDATE messages SET body = ${target.message}, edited_at = now(), version = r.v FROM r
        WHERE ${ownLiveMessage(target)}`,
    ),
  );
}

export function deleteMessage(
  db: CommonQueryMethods,
  target: { id: number; roomId: number; sender: number },
): Promise<MessageRow | null> {
  return db.maybeOne(
    versionedWrite(
      target.roomId,
      target.sender,
      sql.fragment`
        UPDATE messages SET body = '', deleted_at = now(), version = r.v FROM r
        WHERE ${ownLiveMessage(target)}`,
    ),
  );
}

/**
 * The room's version, then every message changed after `since` up to that version. Reading the
 * version first is what makes this exact: a room write commits its messages and the room's version
 * together, so everything up to the version read is visible, and a later change is left for the
 * next call (which starts from the version answered here), never skipped.
 */
export async function changesSince(
  db: CommonQueryMethods,
  roomId: number,
  since: number,
): Promise<{ version: number; metaVersion: number; messages: readonly MessageRow[] }> {
  const { version, metaVersion } = await db.one(sql.type(z.object({ version: z.number(), metaVersion: z.number() }))`
    SELECT version, meta_version AS "metaVersion" FROM rooms WHERE id = ${roomId}`);
  if (version <= since) return { version, metaVersion, messages: [] };
  const messages = await db.any(sql.type(MessageRowSchema)`
    SELECT ${messageColumns} FROM messages m
    WHERE m.room_id = ${roomId} AND m.version > ${since} AND m.version <= ${version}
    ORDER BY m.version, m.id`);
  return { version, metaVersion, messages };
}

/** How many of the scope's newest messages the first search step reads. */
const RECENT_WINDOW = 2000;

/**
 * Newest matches first, in the caller's rooms (or the one asked for, if the caller is in it).
 *
 * Two steps, because no single plan suits every word. A common word is answered from the newest
 * messages: the first step reads at most RECENT_WINDOW of them through the (room_id, id) index, and
 * if they hold `limit` matches those are the newest ones. Otherwise the word is rare in the scope,
 * and the second step finds its matches through the GIN index and sorts them; `OFFSET 0` keeps the
 * planner from answering `ORDER BY id DESC LIMIT n` by walking the primary key backwards and
 * testing every message, which it prefers because it estimates an unknown word at 0.5% of the rows,
 * and which reads the whole table for a rare word. The room ids are bound as an array of values so
 * that the planner knows how large the scope is.
 */
export async function searchMessages(
  db: CommonQueryMethods,
  query: { userId: number; q: string; roomId?: number | undefined; limit: number },
): Promise<readonly MessageRow[]> {
  const onlyRoom = query.roomId === undefined ? sql.fragment`` : sql.fragment`AND room_id = ${query.roomId}`;
  const roomIds = await db.anyFirst(sql.type(z.object({ roomId: z.number() }))`
    SELECT room_id AS "roomId" FROM room_members WHERE user_id = ${query.userId} ${onlyRoom}`);
  if (roomIds.length === 0) return [];
  const inScope = sql.fragment`m.room_id = ANY(${sql.array([...roomIds], "int8")})`;
  const matches = sql.fragment`m.search @@ plainto_tsquery('simple', causette_fold(${query.q})) AND m.deleted_at IS NULL`;
  const recent = await db.any(sql.type(MessageRowSchema)`
    SELECT ${messageColumns} FROM (
      SELECT * FROM messages m WHERE ${inScope} ORDER BY m.id DESC LIMIT ${RECENT_WINDOW}
    ) m
    WHERE ${matches}
    ORDER BY m.id DESC LIMIT ${query.limit}`);
  if (recent.length === query.limit) return recent;
  return db.any(sql.type(MessageRowSchema)`
    SELECT * FROM (
      SELECT ${messageColumns} FROM messages m WHERE ${inScope} AND ${matches} OFFSET 0
    ) hit
    ORDER BY hit.id DESC LIMIT ${query.limit}`);
}
