import type { z } from "zod";

import type {
  Member,
  MemberListInputSchema,
  MemberRefInput,
  MembersAddInput,
  MemberSetRoleInput,
} from "@causette/contracts";
import {
  addMembers,
  deriveStates,
  listMembers,
  memberOf,
  nonMembers,
  removeMember,
  setMemberRole,
  successorOf,
  type CommonQueryMethods,
} from "@causette/db";

import { AppError } from "../errors.ts";
import type { Caller, ServiceDeps } from "./deps.ts";
import { assertGroup, assertManager, assertRoomFor, assertUsersExist, memberAccess } from "./membership.ts";
import type { MessageService } from "./message.service.ts";
import { transact } from "./transact.ts";

function notAMember(roomId: number, userId: number): AppError {
  const message = `user ${userId} is not a member of room ${roomId}`;
  return new AppError("NOT_FOUND", `userId: ${message}`, { issues: [{ path: "userId", message }] });
}

async function targetOf(db: CommonQueryMethods, roomId: number, userId: number) {
  const target = await memberOf(db, roomId, userId);
  if (!target) throw notAMember(roomId, userId);
  return target;
}

/** Members of groups: who is in a room, with which role. Every change takes the room's next version. */
export function createMemberService(deps: ServiceDeps, messages: MessageService) {
  return {
    async list(caller: Caller, input: z.output<typeof MemberListInputSchema>): Promise<Member[]> {
      await memberAccess(deps.pool, caller, input.id);
      return [...(await listMembers(deps.pool, input.id, input))];
    },

    /** Adds the users not in the group yet (owner or admin); answers them. */
    async add(caller: Caller, input: MembersAddInput): Promise<Member[]> {
      const { version, added } = await transact(deps.pool, async (tx) => {
        const access = await memberAccess(tx, caller, input.id, true);
        assertGroup(access);
        assertManager(access, "add members");
        await assertUsersExist(tx, input.userIds, "userIds", input.userIds);
        const fresh = await nonMembers(tx, input.id, input.userIds);
        if (fresh.length === 0) return { version: 0, added: [] };
        assertRoomFor(deps, access.memberCount + fresh.length, "userIds");
        return addMembers(tx, input.id, fresh);
      });
      for (const member of added) {
        deps.events.memberJoined({ roomId: input.id, user: member.user, role: member.role, version });
      }
      return [...added];
    },

    /**
     * Removes a member (owner or admin; an admin cannot remove the owner), or, for one's own id,
     * leaves. An owner who leaves hands the room to the oldest admin, else the oldest member. The
     * member's sockets are out of the room on every node before this answers.
     */
    async remove(caller: Caller, input: MemberRefInput): Promise<{ ok: true }> {
      const leaving = input.userId === caller.userId;
      const reason = leaving ? "left" : "removed";
      const { version, heir, touched } = await transact(deps.pool, async (tx) => {
        const access = await memberAccess(tx, caller, input.id, true);
        assertGroup(access);
        const target = await targetOf(tx, input.id, input.userId);
        if (!leaving) {
          assertManager(access, "remove members");
          if (target.role === "owner") throw new AppError("FORBIDDEN", "Nobody removes the owner; the owner may leave");
        }
        const at = await removeMember(tx, input.id, input.userId, reason);
        const successor = target.role === "owner" ? await successorOf(tx, input.id, input.userId) : null;
        const promoted = successor === null ? null : await setMemberRole(tx, input.id, successor, "owner", at);
        // The member may have been the last one holding messages back from `recu` or `lu`.
        const changed = await deriveStates(tx, { roomId: input.id, after: target.readId, upTo: null, version: at });
        return { version: at, heir: promoted?.member ?? null, touched: changed };
      });
      await deps.events.memberLeft({ roomId: input.id, userId: input.userId, reason, version });
      if (heir) deps.events.memberJoined({ roomId: input.id, user: heir.user, role: heir.role, version });
      messages.announceStates(touched, caller.userId);
      return { ok: true };
    },

    /** Makes a member an admin or an admin a member: the owner only; the owner's own role stays. */
    async setRole(caller: Caller, input: MemberSetRoleInput): Promise<Member> {
      const result = await transact(deps.pool, async (tx) => {
        const access = await memberAccess(tx, caller, input.id, true);
        assertGroup(access);
        if (access.role !== "owner") {
          throw new AppError("FORBIDDEN", "role: only the owner grants or takes roles", {
            issues: [{ path: "role", message: "only the owner grants or takes roles" }],
          });
        }
        const target = await targetOf(tx, input.id, input.userId);
        if (target.role === "owner") {
          const message = "the owner's role cannot change: a group always has its owner";
          throw new AppError("CONFLICT", `role: ${message}`, { issues: [{ path: "role", message }] });
        }
        if (target.role === input.role) {
          const [member] = await listMembers(tx, input.id, { after: input.userId - 1, limit: 1 });
          return { version: null, member: member! };
        }
        return setMemberRole(tx, input.id, input.userId, input.role);
      });
      const { member, version } = result;
      if (version !== null)
        deps.events.memberJoined({ roomId: input.id, user: member.user, role: member.role, version });
      return member;
    },
  };
}
export type MemberService = ReturnType<typeof createMemberService>;
