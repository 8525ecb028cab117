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

const columnsOf = (alias: string) => {
  const t = sql.identifier([alias]);
  return sql.fragment`${t}.id, ${t}.room_id AS "roomId", ${t}.sender_id AS sender, ${t}.body AS message,
    ${t}.state, ${t}.client_id AS "clientId", ${t}.version, ${t}.created_at AS "createdAt",
    ${t}.edited_at AS "editedAt", ${t}.deleted_at AS "deletedAt"`;
};
export const messageColumns = columnsOf("m");
const returning = sql.fragment`RETURNING messages.id, messages.room_id, messages.sender_id, messages.body,
  messages.state, messages.client_id, messages.version, messages.created_at, messages.edited_at, messages.deleted_at`;

/**
 * Every write to a room is one statement built here: it locks the room row (only if `actor` is a
 * member: nobody writes to a room they are not in), takes the room's next version, applies `write` (which reads that version as `r.v` and returns the messages it touched),
 * and stores the version on the room only if the write touched something. One statement means one
 * round trip and no explicit transaction, and the row lock orders concurrent writes to a room.
 */
function versionedWrite(
  roomId: number,
  actor: number,
  write: ReturnType<typeof sql.fragment>,
  roomSet = sql.fragment``,
) {
  return sql.type(MessageRowSchema)`
    WITH r AS (
      SELECT id, version + 1 AS v FROM rooms
      WHERE id = ${roomId} AND EXISTS (SELECT 1 FROM room_members WHERE room_id = ${roomId} AND user_id = ${actor})
      FOR UPDATE
    ),
    w AS (${write} ${returning}),
    bump AS (
      UPDATE rooms SET version = r.v ${roomSet} FROM r
      WHERE rooms.id = r.id AND EXISTS (SELECT 1 FROM w)
    )
    SELECT ${columnsOf("w")} FROM w ORDER BY w.id`;
}

/** Inserts a message, or returns null when the same (room, sender, clientId) already exists. */
export async function insertMessage(
  db: CommonQueryMethods,
  input: { roomId: number; sender: number; message: string; clientId: string | null },
): Promise<MessageRow | null> {
  const rows = await db.any(
    versionedWrite(
      input.roomId,
      input.sender,
      sql.fragment`
        INSERT INTO messages (room_id, sender_id, body, client_id, version)
        SELECT r.id, ${input.sender}, ${input.message}, ${input.clientId}, r.v FROM r
        ON CONFLICT (room_id, sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING`,
      sql.fragment`, last_message_id = (SELECT max(id) FROM w), last_activity_at = now()`,
    ),
  );
  return rows[0] ?? null;
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
        WHERE messages.id = ${target.id} AND messages.room_id = r.id
          AND messages.sender_id = ${target.sender} AND messages.deleted_at IS NULL`,
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
        WHERE messages.id = ${target.id} AND messages.room_id = r.id
          AND messages.sender_id = ${target.sender} AND messages.deleted_at IS NULL`,
    ),
  );
}

/**
 * Moves every message of `sender` in the room up to and including `upToId` to at least `state`
 * (receipts are cumulative). Answers the messages it changed, none when all were there already.
 */
export function advanceState(
  db: CommonQueryMethods,
  target: { roomId: number; sender: number; recipient: number; upToId: number; state: MessageStateValue },
): Promise<readonly MessageRow[]> {
  // Written so that the partial index on unread messages (state <> 'lu') serves both cases.
  const behind = target.state === "lu" ? sql.fragment`state <> 'lu'` : sql.fragment`state = 'ok'`;
  if (target.state === "ok") return Promise.resolve([]);
  return db.any(
    versionedWrite(
      target.roomId,
      target.recipient,
      sql.fragment`
        UPDATE messages SET state = ${target.state}, version = r.v FROM r
        WHERE messages.room_id = r.id AND messages.sender_id = ${target.sender}
          AND messages.id <= ${target.upToId} AND messages.deleted_at IS NULL AND ${behind}`,
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
): Promise<{ version: number; messages: readonly MessageRow[] }> {
  const version = await db.oneFirst(sql.type(z.object({ version: z.number() }))`
    SELECT version FROM rooms WHERE id = ${roomId}`);
  if (version <= since) return { version, messages: [] };
  const messages = await db.any(sql.type(MessageRowSchema)`
    SELECT ${messageColumns} FROM messages m
    WHERE m.room_id = ${roomId} AND m.version > ${since} AND m.version <= ${version}
    ORDER BY m.version, m.id`);
  return { version, messages };
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
