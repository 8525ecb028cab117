import { z } from "zod";

import { sql, type CommonQueryMethods } from "../slonik.ts";
import { MEMBER_ROLES, type MemberRole } from "./rooms.ts";
import { userJson, UserRowSchema } from "./users.ts";

export const DEPARTURE_REASONS = ["left", "removed"] as const;
export type DepartureReason = (typeof DEPARTURE_REASONS)[number];

const MemberRowSchema = z.object({
  user: UserRowSchema,
  role: z.enum(MEMBER_ROLES),
  joinedAt: z.string(),
});
export type MemberRow = z.infer<typeof MemberRowSchema>;

const memberColumns = sql.fragment`${userJson} AS "user", rm.role, rm.joined_at AS "joinedAt"`;

/** A page of the room's members, by user id. */
export function listMembers(
  db: CommonQueryMethods,
  roomId: number,
  page: { after?: number | undefined; limit: number },
): Promise<readonly MemberRow[]> {
  return db.any(sql.type(MemberRowSchema)`
    SELECT ${memberColumns} FROM room_members rm JOIN users u ON u.id = rm.user_id
    WHERE rm.room_id = ${roomId} AND rm.user_id > ${page.after ?? 0}
    ORDER BY rm.user_id LIMIT ${page.limit}`);
}

/** Which of `ids` are users. */
export function existingUsers(db: CommonQueryMethods, ids: readonly number[]): Promise<readonly number[]> {
  return db.anyFirst(sql.type(z.object({ id: z.number() }))`
    SELECT id FROM users WHERE id = ANY(${sql.array([...ids], "int8")})`);
}

/** Takes the room's next version for a membership change; answers it. */
function bumpRoom(roomId: number, memberDelta: number) {
  return sql.fragment`
    UPDATE rooms SET version = version + 1, meta_version = version + 1, member_count = member_count + ${memberDelta}
    WHERE id = ${roomId} RETURNING version`;
}

/** Which of `userIds` are not members of the room yet. */
export function nonMembers(
  db: CommonQueryMethods,
  roomId: number,
  userIds: readonly number[],
): Promise<readonly number[]> {
  return db.anyFirst(sql.type(z.object({ id: z.number() }))`
    SELECT u AS id FROM unnest(${sql.array([...userIds], "int8")}) AS u
    WHERE NOT EXISTS (SELECT 1 FROM room_members WHERE room_id = ${roomId} AND user_id = u)`);
}

/**
 * Adds users who are not members (see nonMembers) as `member`, caught up to the room's last
 * message, at one new room version. The caller holds the room's lock.
 */
export async function addMembers(
  db: CommonQueryMethods,
  roomId: number,
  userIds: readonly number[],
): Promise<{ version: number; added: readonly MemberRow[] }> {
  const version = await db.oneFirst(sql.type(z.object({ version: z.number() }))`${bumpRoom(roomId, userIds.length)}`);
  const ids = sql.array([...userIds], "int8");
  const added = await db.any(sql.type(MemberRowSchema)`
    WITH r AS (SELECT coalesce(last_message_id, 0) AS last, message_seq FROM rooms WHERE id = ${roomId}),
    gone AS (DELETE FROM room_departures WHERE room_id = ${roomId} AND user_id = ANY(${ids})),
    rm AS (
      INSERT INTO room_members (room_id, user_id, role, delivered_id, read_id, read_seq, version)
      SELECT ${roomId}, u, 'member', r.last, r.last, r.message_seq, ${version} FROM r, unnest(${ids}) AS u
      RETURNING user_id, role, joined_at
    )
    SELECT ${memberColumns} FROM rm JOIN users u ON u.id = rm.user_id ORDER BY rm.user_id`);
  return { version, added };
}

/** The member's role and receipt positions; null when not a member. */
export function memberOf(
  db: CommonQueryMethods,
  roomId: number,
  userId: number,
): Promise<{ role: MemberRole; readId: number; deliveredId: number } | null> {
  return db.maybeOne(sql.type(z.object({ role: z.enum(MEMBER_ROLES), readId: z.number(), deliveredId: z.number() }))`
    SELECT role, read_id AS "readId", delivered_id AS "deliveredId"
    FROM room_members WHERE room_id = ${roomId} AND user_id = ${userId}`);
}

/** Removes a member at the next room version, kept as a departure; answers that version. The caller holds the room's lock. */
export function removeMember(
  db: CommonQueryMethods,
  roomId: number,
  userId: number,
  reason: DepartureReason,
): Promise<number> {
  return db.oneFirst(sql.type(z.object({ version: z.number() }))`
    WITH gone AS (DELETE FROM room_members WHERE room_id = ${roomId} AND user_id = ${userId}),
    v AS (${bumpRoom(roomId, -1)}),
    d AS (
      INSERT INTO room_departures (room_id, user_id, reason, version)
      SELECT ${roomId}, ${userId}, ${reason}, v.version FROM v
      ON CONFLICT (room_id, user_id) DO UPDATE SET reason = EXCLUDED.reason, version = EXCLUDED.version, left_at = now()
    )
    SELECT version FROM v`);
}

/**
 * Sets a member's role at the next room version, or at `atVersion` when the change is part of one
 * already taken (an owner leaving hands the room over); answers the member. The caller holds the
 * room's lock.
 */
export async function setMemberRole(
  db: CommonQueryMethods,
  roomId: number,
  userId: number,
  role: MemberRole,
  atVersion?: number,
): Promise<{ version: number; member: MemberRow }> {
  const version = atVersion ?? (await db.oneFirst(sql.type(z.object({ version: z.number() }))`${bumpRoom(roomId, 0)}`));
  const member = await db.one(sql.type(MemberRowSchema)`
    WITH rm AS (
      UPDATE room_members SET role = ${role}, version = ${version}
      WHERE room_id = ${roomId} AND user_id = ${userId}
      RETURNING user_id, role, joined_at
    )
    SELECT ${memberColumns} FROM rm JOIN users u ON u.id = rm.user_id`);
  return { version, member };
}

/** Who inherits a room from a departing owner: the oldest admin, else the oldest member. */
export function successorOf(db: CommonQueryMethods, roomId: number, owner: number): Promise<number | null> {
  return db.maybeOneFirst(sql.type(z.object({ userId: z.number() }))`
    SELECT user_id AS "userId" FROM room_members
    WHERE room_id = ${roomId} AND user_id <> ${owner}
    ORDER BY role = 'admin' DESC, joined_at, user_id LIMIT 1`);
}

const MemberChangeRowSchema = z.object({
  user: UserRowSchema,
  role: z.enum(MEMBER_ROLES).nullable(),
  status: z.enum(["member", ...DEPARTURE_REASONS]),
  version: z.number(),
});
export type MemberChangeRow = z.infer<typeof MemberChangeRowSchema>;

/** Members who joined or whose role changed after `since`, and those who left, up to `version`, in version order. */
export function memberChangesSince(
  db: CommonQueryMethods,
  roomId: number,
  since: number,
  version: number,
): Promise<readonly MemberChangeRow[]> {
  return db.any(sql.type(MemberChangeRowSchema)`
    SELECT * FROM (
      SELECT ${userJson} AS "user", rm.role, 'member' AS status, rm.version
      FROM room_members rm JOIN users u ON u.id = rm.user_id
      WHERE rm.room_id = ${roomId} AND rm.version > ${since} AND rm.version <= ${version}
      UNION ALL
      SELECT ${userJson}, NULL, d.reason, d.version
      FROM room_departures d JOIN users u ON u.id = d.user_id
      WHERE d.room_id = ${roomId} AND d.version > ${since} AND d.version <= ${version}
    ) c ORDER BY c.version, (c."user"->>'id')::bigint`);
}
