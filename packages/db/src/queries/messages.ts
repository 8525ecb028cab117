import { z } from "zod";

import { sql, UniqueIntegrityConstraintViolationError, type CommonQueryMethods } from "../slonik.ts";

export const MESSAGE_STATES = ["ok", "recu", "lu"] as const;
export type MessageStateValue = (typeof MESSAGE_STATES)[number];

export const QUOTE_EXCERPT_LENGTH = 200;
/** In a group above this many members, only owners and admins may mention `@room`. */
export const ROOM_MENTION_OPEN_LIMIT = 50;
export const MAX_DISTINCT_REACTIONS = 50;

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
  parentId: z.number().nullable(),
  quotedId: z.number().nullable(),
  quoted: z.object({ id: z.number(), sender: z.number(), excerpt: z.string(), deleted: z.boolean() }).nullable(),
  replyCount: z.number(),
  lastReplyAt: z.string().nullable(),
  reactions: z.array(z.object({ emoji: z.string(), count: z.number(), me: z.boolean() })),
  mentions: z.array(z.number()),
  attachments: z.array(
    z.object({
      id: z.number(),
      name: z.string(),
      size: z.number(),
      contentType: z.string(),
      width: z.number().optional(),
      height: z.number().optional(),
    }),
  ),
});
export type MessageRow = z.infer<typeof MessageRowSchema>;

/**
 * Whose reactions `me` marks: a user, or nobody (null) for a payload every member receives. The
 * aggregated counts are stored on the message; `me` is one primary key lookup per reacted message.
 */
export type Viewer = number | null;

/** Each column of a message of table alias `alias`, as [expression, field name]. */
export function messageFields(alias: string, viewer: Viewer): Array<[ReturnType<typeof sql.fragment>, string]> {
  const t = sql.identifier([alias]);
  const me =
    viewer === null
      ? sql.fragment`false`
      : sql.fragment`EXISTS (SELECT 1 FROM message_reactions mr
          WHERE mr.message_id = ${t}.id AND mr.user_id = ${viewer} AND mr.emoji = x.e->>'emoji')`;
  return [
    [sql.fragment`${t}.id`, "id"],
    [sql.fragment`${t}.room_id`, "roomId"],
    [sql.fragment`${t}.sender_id`, "sender"],
    [sql.fragment`${t}.body`, "message"],
    [sql.fragment`${t}.state`, "state"],
    [sql.fragment`${t}.client_id`, "clientId"],
    [sql.fragment`${t}.version`, "version"],
    [sql.fragment`${t}.created_at`, "createdAt"],
    [sql.fragment`${t}.edited_at`, "editedAt"],
    [sql.fragment`${t}.deleted_at`, "deletedAt"],
    [sql.fragment`${t}.parent_id`, "parentId"],
    [sql.fragment`${t}.quoted_id`, "quotedId"],
    [
      sql.fragment`CASE WHEN ${t}.quoted_id IS NOT NULL THEN json_build_object('id', ${t}.quoted_id,
        'sender', ${t}.quoted_sender, 'excerpt', ${t}.quoted_excerpt, 'deleted', ${t}.quoted_deleted) END`,
      "quoted",
    ],
    [sql.fragment`${t}.reply_count`, "replyCount"],
    [sql.fragment`${t}.last_reply_at`, "lastReplyAt"],
    [
      sql.fragment`CASE WHEN ${t}.reactions = '[]'::jsonb THEN '[]'::json ELSE (
        SELECT json_agg(json_build_object('emoji', x.e->>'emoji', 'count', (x.e->>'count')::int, 'me', ${me}) ORDER BY x.o)
        FROM jsonb_array_elements(${t}.reactions) WITH ORDINALITY AS x(e, o)) END`,
      "reactions",
    ],
    [sql.fragment`to_json(${t}.mentions)`, "mentions"],
    [sql.fragment`${t}.attachments`, "attachments"],
  ];
}

export const columnsOf = (alias: string, viewer: Viewer) =>
  sql.join(
    messageFields(alias, viewer).map(([expression, name]) => sql.fragment`${expression} AS ${sql.identifier([name])}`),
    sql.fragment`, `,
  );
const returning = sql.fragment`RETURNING messages.*`;

type Fragment = ReturnType<typeof sql.fragment>;

/**
 * Every change to a room's messages (sends are `insertMessages`) is one statement built here: it
 * locks the room row (only if `actor` is a member: nobody writes to a room they are not in), takes
 * the room's next version, applies `write` (which reads that version as `r.v` and returns the
 * messages it touched), and stores the version on the room only if the write touched something.
 * One statement means one round trip and no explicit transaction, and the row lock orders
 * concurrent writes to a room. `also` are further statements run after `w` (as CTEs): those named
 * in `alsoReturned` return messages touched at the same version, answered after `w`'s.
 */
function versionedWrite(
  roomId: number,
  actor: number,
  write: Fragment,
  extra: { viewer: Viewer; also?: Fragment; alsoReturned?: readonly string[] },
) {
  const returned = ["w", ...(extra.alsoReturned ?? [])].map(
    (name) => sql.fragment`SELECT ${columnsOf(name, extra.viewer)} FROM ${sql.identifier([name])}`,
  );
  return sql.type(MessageRowSchema)`
    WITH r AS (
      SELECT id, version + 1 AS v FROM rooms
      WHERE id = ${roomId} AND EXISTS (SELECT 1 FROM room_members WHERE room_id = ${roomId} AND user_id = ${actor})
      FOR UPDATE
    ),
    w AS (${write} ${returning}),
    ${extra.also ? sql.fragment`${extra.also},` : sql.fragment``}
    bump AS (
      UPDATE rooms SET version = r.v FROM r
      WHERE rooms.id = r.id AND EXISTS (SELECT 1 FROM w)
    )
    ${sql.join(returned, sql.fragment` UNION ALL `)}`;
}

/** What a message's text mentions: lower-cased usernames, and whether it says `@room`. */
export interface MentionSpec {
  names: readonly string[];
  room: boolean;
}

/**
 * The ids of the members of `room` mentioned by `names` (space-separated lower-cased usernames) or
 * by `@room` (`everyone`), never the sender. In a group over ROOM_MENTION_OPEN_LIMIT members,
 * `@room` counts only from an owner or an admin.
 */
function mentionedIds(room: Fragment, sender: Fragment, names: Fragment, everyone: Fragment) {
  return sql.fragment`CASE WHEN ${names} = '' AND NOT ${everyone} THEN '{}'::bigint[] ELSE (
    SELECT coalesce(array_agg(x.id ORDER BY x.id), '{}') FROM (
      SELECT u.id FROM users u JOIN room_members rm ON rm.room_id = ${room} AND rm.user_id = u.id
      WHERE lower(u.username) = ANY(string_to_array(${names}, ' ')) AND u.id <> ${sender}
      UNION
      SELECT rm.user_id FROM room_members rm
      WHERE ${everyone} AND rm.room_id = ${room} AND rm.user_id <> ${sender} AND EXISTS (
        SELECT 1 FROM rooms ro JOIN room_members s ON s.room_id = ro.id AND s.user_id = ${sender}
        WHERE ro.id = ${room} AND (ro.member_count <= ${ROOM_MENTION_OPEN_LIMIT} OR s.role IN ('owner', 'admin')))
    ) x) END`;
}

/**
 * The attachments column of a new message: each file of `list` (comma-separated ids) as clients see
 * it, in the list's order.
 */
function attachmentsOf(list: Fragment) {
  return sql.fragment`CASE WHEN ${list} = '' THEN '[]'::jsonb ELSE (
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', f.id, 'name', f.name, 'size', f.size,
      'contentType', f.content_type, 'width', f.width, 'height', f.height)) ORDER BY a.o), '[]'::jsonb)
    FROM unnest(string_to_array(${list}, ',')::bigint[]) WITH ORDINALITY AS a(id, o) JOIN files f ON f.id = a.id) END`;
}

export interface NewMessage {
  roomId: number;
  sender: number;
  message: string;
  clientId: string | null;
  /** The thread's root (a top-level message of the room), for a thread reply. */
  parentId?: number | null;
  /** The quoted message (of the room). */
  quotedId?: number | null;
  mentions?: MentionSpec;
  /** Files to attach, in order: uploads of the sender's (`attachableFiles` names those that are not). */
  attachments?: readonly number[];
}

export interface StoredMessage {
  message: MessageRow;
  /** The thread's root as this send left it (its reply count and last reply), for a thread reply. */
  root: MessageRow | null;
}

/**
 * Inserts several messages, possibly in several rooms, in one statement (one round trip, one
 * commit), in input order. Each room row is locked (in id order, so concurrent batches never
 * deadlock) and its messages take the room's next versions. A thread reply also moves its root's
 * reply count, at the reply's version (the newest reply's, when a batch holds several), and a
 * mention is stored for each mentioned member.
 * Answers, per input, the stored message, or null when it was not inserted: a retry of a stored
 * `clientId`, or a sender who is not in the room.
 * A retry racing its first send in another statement: the statement started before the first one
 * committed, so its snapshot does not show the stored message, and skipping the row on conflict
 * would leave its version unused (a hole in 1..N). Instead the unique index refuses the whole
 * statement, which is run again: its new snapshot sees the stored message.
 */
export async function insertMessages(
  db: CommonQueryMethods,
  inputs: readonly NewMessage[],
): Promise<Array<StoredMessage | null>> {
  if (inputs.length === 0) return [];
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await insertOnce(db, inputs);
    } catch (error) {
      if (!(error instanceof UniqueIntegrityConstraintViolationError) || attempt >= MAX_INSERT_ATTEMPTS) throw error;
    }
  }
}

/** Each attempt loses only to a send of the same clientId committed meanwhile, which the next one sees. */
const MAX_INSERT_ATTEMPTS = 5;

async function insertOnce(db: CommonQueryMethods, inputs: readonly NewMessage[]): Promise<Array<StoredMessage | null>> {
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
        )},
        ${sql.array(
          inputs.map((i) => i.parentId ?? null),
          "int8",
        )},
        ${sql.array(
          inputs.map((i) => i.quotedId ?? null),
          "int8",
        )},
        ${sql.array(
          inputs.map((i) => (i.mentions?.names ?? []).join(" ")),
          "text",
        )},
        ${sql.array(
          inputs.map((i) => i.mentions?.room ?? false),
          "bool",
        )},
        ${sql.array(
          inputs.map((i) => (i.attachments ?? []).join(",")),
          "text",
        )}
      ) WITH ORDINALITY AS i(room_id, sender_id, body, client_id, parent_id, quoted_id, mention_names, mention_room,
        attachment_list, ord)
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
        -- Every attachment still an upload of the sender's, locked so that the sweep cannot take it meanwhile.
        AND (i.attachment_list = '' OR (
          SELECT count(*) FROM (
            SELECT 1 FROM files f
            WHERE f.id = ANY(string_to_array(i.attachment_list, ',')::bigint[]) AND f.uploader_id = i.sender_id
            FOR KEY SHARE
          ) owned) = cardinality(string_to_array(i.attachment_list, ',')))
    ),
    numbered AS (
      SELECT f.*, row_number() OVER (PARTITION BY f.room_id ORDER BY f.ord) AS k, r.version, r.message_seq
      FROM fresh f JOIN r ON r.id = f.room_id
    ),
    w AS (
      INSERT INTO messages (room_id, sender_id, body, client_id, version, seq, parent_id, quoted_id, quoted_sender,
        quoted_excerpt, quoted_deleted, mentions, attachments)
      SELECT n.room_id, n.sender_id, n.body, n.client_id, n.version + n.k, n.message_seq + n.k, n.parent_id,
        q.id, q.sender_id, CASE WHEN q.deleted_at IS NULL THEN left(q.body, ${QUOTE_EXCERPT_LENGTH}) ELSE '' END,
        q.deleted_at IS NOT NULL,
        ${mentionedIds(sql.fragment`n.room_id`, sql.fragment`n.sender_id`, sql.fragment`n.mention_names`, sql.fragment`n.mention_room`)},
        ${attachmentsOf(sql.fragment`n.attachment_list`)}
      FROM numbered n LEFT JOIN messages q ON q.id = n.quoted_id AND q.room_id = n.room_id
      ORDER BY n.ord
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
    ),
    mentioned AS (
      INSERT INTO message_mentions (message_id, user_id, room_id, seq)
      SELECT w.id, u, w.room_id, w.seq FROM w, unnest(w.mentions) AS u
    ),
    attached AS (
      INSERT INTO message_attachments (message_id, file_id, position)
      SELECT w.id, (a.e->>'id')::bigint, a.o - 1 FROM w, jsonb_array_elements(w.attachments) WITH ORDINALITY AS a(e, o)
    ),
    -- From now on a file goes as soon as no message carries it (see deleteUnreferencedFiles).
    first_attached AS (
      UPDATE files SET attached_at = now()
      WHERE attached_at IS NULL AND id IN (SELECT (e->>'id')::bigint FROM w, jsonb_array_elements(w.attachments) AS e)
    ),
    roots AS (
      UPDATE messages p SET reply_count = p.reply_count + x.n, last_reply_at = x.at, version = x.v
      FROM (
        SELECT w.parent_id, count(*) AS n, max(w.created_at) AS at, max(w.version) AS v
        FROM w WHERE w.parent_id IS NOT NULL GROUP BY w.parent_id
      ) x
      WHERE p.id = x.parent_id
      RETURNING p.*
    )
    SELECT ${columnsOf("w", null)}, n.ord FROM w JOIN numbered n ON n.room_id = w.room_id AND n.version + n.k = w.version
    UNION ALL
    SELECT ${columnsOf("roots", null)}, 0 FROM roots`);
  const roots = new Map<number, MessageRow>();
  const byOrd = new Map<number, MessageRow>();
  for (const { ord, ...row } of rows) {
    if (ord === 0) roots.set(row.id, row);
    else byOrd.set(ord, row);
  }
  return inputs.map((_, index) => {
    const message = byOrd.get(index + 1);
    if (!message) return null;
    const root = message.parentId === null ? undefined : roots.get(message.parentId);
    // A root answered once per batch: with its newest reply, whose version it took.
    return { message, root: root?.version === message.version ? root : null };
  });
}

export function findMessageByClientId(
  db: CommonQueryMethods,
  key: { roomId: number; sender: number; clientId: string },
  viewer: Viewer,
): Promise<MessageRow | null> {
  return db.maybeOne(sql.type(MessageRowSchema)`
    SELECT ${columnsOf("m", viewer)} FROM messages m
    WHERE m.room_id = ${key.roomId} AND m.sender_id = ${key.sender} AND m.client_id = ${key.clientId}`);
}

export function findMessage(db: CommonQueryMethods, id: number, viewer: Viewer): Promise<MessageRow | null> {
  return db.maybeOne(sql.type(MessageRowSchema)`SELECT ${columnsOf("m", viewer)} FROM messages m WHERE m.id = ${id}`);
}

export interface Page {
  before?: number | undefined;
  after?: number | undefined;
  limit: number;
}

/** A keyset page of the messages matching `scope`, oldest first. */
async function pageOf(db: CommonQueryMethods, scope: Fragment, page: Page, viewer: Viewer): Promise<MessageRow[]> {
  if (page.after !== undefined) {
    return [
      ...(await db.any(sql.type(MessageRowSchema)`
        SELECT ${columnsOf("m", viewer)} FROM messages m
        WHERE ${scope} AND m.id > ${page.after}
        ORDER BY m.id LIMIT ${page.limit}`)),
    ];
  }
  const before = page.before === undefined ? sql.fragment`` : sql.fragment`AND m.id < ${page.before}`;
  const newestFirst = await db.any(sql.type(MessageRowSchema)`
    SELECT ${columnsOf("m", viewer)} FROM messages m
    WHERE ${scope} ${before}
    ORDER BY m.id DESC LIMIT ${page.limit}`);
  return newestFirst.toReversed();
}

/** The room's main history: its top-level messages (thread replies are in their threads). */
export function listMessages(
  db: CommonQueryMethods,
  roomId: number,
  page: Page,
  viewer: Viewer,
): Promise<MessageRow[]> {
  return pageOf(db, sql.fragment`m.room_id = ${roomId} AND m.parent_id IS NULL`, page, viewer);
}

/** A thread's replies. */
export function listThread(db: CommonQueryMethods, rootId: number, page: Page, viewer: Viewer): Promise<MessageRow[]> {
  return pageOf(db, sql.fragment`m.parent_id = ${rootId}`, page, viewer);
}

/** The sender's own message, in the locked room `r`, not deleted: what an edit or delete may touch. */
const ownLiveMessage = (target: { id: number; sender: number }) => sql.fragment`
  messages.id = ${target.id} AND messages.room_id = r.id
  AND messages.sender_id = ${target.sender} AND messages.deleted_at IS NULL`;

/** The new text, and its mentions derived again (the mention rows follow). */
export function editMessage(
  db: CommonQueryMethods,
  target: { id: number; roomId: number; sender: number; message: string; mentions: MentionSpec },
): Promise<MessageRow | null> {
  const ids = mentionedIds(
    sql.fragment`r.id`,
    sql.fragment`${target.sender}`,
    sql.fragment`${target.mentions.names.join(" ")}::text`,
    sql.fragment`${target.mentions.room}`,
  );
  return db.maybeOne(
    versionedWrite(
      target.roomId,
      target.sender,
      sql.fragment`
        UPDATE messages SET body = ${target.message}, edited_at = now(), version = r.v, mentions = ${ids} FROM r
        WHERE ${ownLiveMessage(target)}`,
      {
        viewer: target.sender,
        also: sql.fragment`
          unmentioned AS (
            DELETE FROM message_mentions mm USING w WHERE mm.message_id = w.id AND NOT (mm.user_id = ANY(w.mentions))
          ),
          mentioned AS (
            INSERT INTO message_mentions (message_id, user_id, room_id, seq)
            SELECT w.id, u, w.room_id, w.seq FROM w, unnest(w.mentions) AS u
            ON CONFLICT DO NOTHING
          )`,
      },
    ),
  );
}

/**
 * Leaves a tombstone: text, reactions, mentions and attachments cleared (a file then goes once no
 * message carries it). At the same version, the quotes of the
 * message show it deleted, and a thread reply's root counts one reply less: those messages are
 * answered after the tombstone.
 */
export function deleteMessage(
  db: CommonQueryMethods,
  target: { id: number; roomId: number; sender: number },
): Promise<readonly MessageRow[]> {
  return db.any(
    versionedWrite(
      target.roomId,
      target.sender,
      sql.fragment`
        UPDATE messages SET body = '', deleted_at = now(), version = r.v, reactions = '[]', mentions = '{}',
          attachments = '[]' FROM r
        WHERE ${ownLiveMessage(target)}`,
      {
        viewer: target.sender,
        also: sql.fragment`
          unreacted AS (DELETE FROM message_reactions mr USING w WHERE mr.message_id = w.id),
          unmentioned AS (DELETE FROM message_mentions mm USING w WHERE mm.message_id = w.id),
          unattached AS (DELETE FROM message_attachments a USING w WHERE a.message_id = w.id),
          quotes AS (
            UPDATE messages q SET quoted_excerpt = '', quoted_deleted = true, version = r.v FROM w, r
            WHERE q.quoted_id = w.id
            RETURNING q.*
          ),
          root AS (
            UPDATE messages p SET reply_count = greatest(p.reply_count - 1, 0), version = r.v FROM w, r
            WHERE p.id = w.parent_id
            RETURNING p.*
          )`,
        alsoReturned: ["quotes", "root"],
      },
    ),
  );
}

/**
 * The message's reactions after adding (or removing) the user's `emoji`: its count moves by one,
 * a new emoji goes last, an emoji nobody uses any more leaves.
 */
const reactionsAfter = (emoji: string, delta: 1 | -1) => sql.fragment`(
  SELECT coalesce(jsonb_agg(x.e ORDER BY x.o), '[]'::jsonb) FROM (
    SELECT CASE WHEN e->>'emoji' = ${emoji} THEN jsonb_set(e, '{count}', to_jsonb((e->>'count')::int + ${delta})) ELSE e END AS e, o
    FROM jsonb_array_elements(messages.reactions) WITH ORDINALITY AS y(e, o)
    UNION ALL
    SELECT jsonb_build_object('emoji', ${emoji}::text, 'count', 1), 1000000
    WHERE ${delta} = 1 AND NOT messages.reactions @> jsonb_build_array(jsonb_build_object('emoji', ${emoji}::text))
  ) x WHERE (x.e->>'count')::int > 0)`;

/** The user's reaction row, in `message_reactions`. */
const reactionRow = (target: ReactionTarget) => sql.fragment`
  SELECT 1 FROM message_reactions mr
  WHERE mr.message_id = ${target.id} AND mr.user_id = ${target.userId} AND mr.emoji = ${target.emoji}`;

export interface ReactionTarget {
  id: number;
  roomId: number;
  userId: number;
  emoji: string;
}

/**
 * Adds (`added`) or removes the user's reaction, at the room's next version, and answers the message
 * as the user sees it. Null when nothing changed: the user had it already (or had none to remove),
 * the message is deleted or elsewhere, an add would make more than MAX_DISTINCT_REACTIONS emoji, or
 * the user is not in the room.
 */
export async function setReaction(
  db: CommonQueryMethods,
  target: ReactionTarget,
  added: boolean,
): Promise<MessageRow | null> {
  const emoji = sql.fragment`${target.emoji}::text`;
  const change = added
    ? {
        allowed: sql.fragment`messages.deleted_at IS NULL AND NOT EXISTS (${reactionRow(target)})
          AND (jsonb_array_length(messages.reactions) < ${MAX_DISTINCT_REACTIONS}
            OR messages.reactions @> jsonb_build_array(jsonb_build_object('emoji', ${emoji})))`,
        row: sql.fragment`INSERT INTO message_reactions (message_id, user_id, emoji) SELECT w.id, ${target.userId}, ${emoji} FROM w`,
      }
    : {
        allowed: sql.fragment`EXISTS (${reactionRow(target)})`,
        row: sql.fragment`DELETE FROM message_reactions mr USING w
          WHERE mr.message_id = w.id AND mr.user_id = ${target.userId} AND mr.emoji = ${emoji}`,
      };
  const row = await db.maybeOne(
    versionedWrite(
      target.roomId,
      target.userId,
      sql.fragment`
        UPDATE messages SET reactions = ${reactionsAfter(target.emoji, added ? 1 : -1)}, version = r.v FROM r
        WHERE messages.id = ${target.id} AND messages.room_id = r.id AND ${change.allowed}`,
      { viewer: target.userId, also: sql.fragment`reaction AS (${change.row})` },
    ),
  );
  // The statement's own reaction row is not visible to its `me` lookup: set it from what was done.
  return row && { ...row, reactions: row.reactions.map((r) => (r.emoji === target.emoji ? { ...r, me: added } : r)) };
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
  viewer: Viewer,
): Promise<{ version: number; metaVersion: number; messages: readonly MessageRow[] }> {
  const { version, metaVersion } = await db.one(sql.type(z.object({ version: z.number(), metaVersion: z.number() }))`
    SELECT version, meta_version AS "metaVersion" FROM rooms WHERE id = ${roomId}`);
  if (version <= since) return { version, metaVersion, messages: [] };
  const messages = await db.any(sql.type(MessageRowSchema)`
    SELECT ${columnsOf("m", viewer)} FROM messages m
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
    SELECT ${columnsOf("m", query.userId)} FROM (
      SELECT * FROM messages m WHERE ${inScope} ORDER BY m.id DESC LIMIT ${RECENT_WINDOW}
    ) m
    WHERE ${matches}
    ORDER BY m.id DESC LIMIT ${query.limit}`);
  if (recent.length === query.limit) return recent;
  return db.any(sql.type(MessageRowSchema)`
    SELECT * FROM (
      SELECT ${columnsOf("m", query.userId)} FROM messages m WHERE ${inScope} AND ${matches} OFFSET 0
    ) hit
    ORDER BY hit.id DESC LIMIT ${query.limit}`);
}
