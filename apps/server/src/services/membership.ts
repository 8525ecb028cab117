import { describeIssues } from "@causette/contracts";
import { existingUsers, isRoomMember, roomAccess, type CommonQueryMethods, type RoomAccess } from "@causette/db";

import { AppError } from "../errors.ts";
import type { Caller, ServiceDeps } from "./deps.ts";

// Who may do what in a room: the checks every service shares.

export function roomNotFound(roomId: number): AppError {
  return new AppError("NOT_FOUND", `No room with id ${roomId}`);
}

/** A room the caller is not in answers exactly as a room that does not exist. */
export async function assertMember(deps: ServiceDeps, caller: Caller, roomId: number): Promise<void> {
  if (!(await isRoomMember(deps.pool, roomId, caller.userId))) throw roomNotFound(roomId);
}

export type MemberAccess = RoomAccess & { role: NonNullable<RoomAccess["role"]> };

/**
 * The caller's access to a room they are in (404 otherwise). With `lock` (inside a transaction) the
 * room's row is locked first, so that membership writes to one room run one at a time.
 */
export async function memberAccess(
  db: CommonQueryMethods,
  caller: Caller,
  roomId: number,
  lock = false,
): Promise<MemberAccess> {
  const access = await roomAccess(db, roomId, caller.userId, lock);
  if (!access?.role) throw roomNotFound(roomId);
  return access as MemberAccess;
}

/** Only groups change their name or members. */
export function assertGroup(access: RoomAccess): void {
  if (access.kind !== "group") {
    throw new AppError("CONFLICT", "id: a direct room has exactly its two participants and no name", {
      issues: [{ path: "id", message: "a direct room cannot change" }],
    });
  }
}

/** Refuses a group past MAX_GROUP_MEMBERS (409: the request was fine, the room is full). */
export function assertRoomFor(deps: ServiceDeps, members: number, field: string): void {
  if (members > deps.maxGroupMembers) {
    const message = `a group holds at most ${deps.maxGroupMembers} members`;
    throw new AppError("CONFLICT", `${field}: ${message}`, { issues: [{ path: field, message }] });
  }
}

/** 404 naming each id of `ids` that is no user (`field.index`, as in `listed`). */
export async function assertUsersExist(
  db: CommonQueryMethods,
  ids: readonly number[],
  field: string,
  listed: readonly number[],
): Promise<void> {
  const found = new Set(await existingUsers(db, ids));
  const issues = listed.flatMap((id, index) =>
    ids.includes(id) && !found.has(id) ? [{ path: `${field}.${index}`, message: `no user with id ${id}` }] : [],
  );
  if (issues.length > 0) throw new AppError("NOT_FOUND", describeIssues(issues), { issues });
}

export function assertManager(access: MemberAccess, what: string): void {
  if (access.role === "member") throw new AppError("FORBIDDEN", `Only the owner or an admin may ${what}`);
}
