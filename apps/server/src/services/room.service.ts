import type { z } from "zod";

import {
  type Changes,
  type ChangesInputSchema,
  type DirectRoomCreateInput,
  type GroupCreateInputSchema,
  type MarkReadInput,
  type PublicRoom,
  type PublicRoomListInputSchema,
  type Room,
  type RoomListInputSchema,
  type RoomUpdateInput,
} from "@causette/contracts";
import {
  addMembers,
  changesSince,
  ensureRoom,
  findUserById,
  insertGroup,
  listPublicRooms,
  listRoomsOf,
  memberChangesSince,
  roomAccess,
  updateGroup,
  type RoomView,
} from "@causette/db";

import { AppError, badRequest } from "../errors.ts";
import type { Caller, ServiceDeps } from "./deps.ts";
import {
  assertGroup,
  assertManager,
  assertMember,
  assertRoomFor,
  assertUsersExist,
  memberAccess,
  roomNotFound,
} from "./membership.ts";
import type { MessageService } from "./message.service.ts";
import { transact } from "./transact.ts";

/** The room's fields shared by every member, for `room_updated`. */
const infoOf = ({ id, kind, name, topic, visibility, memberCount, createdAt }: RoomView) => ({
  id,
  kind,
  name,
  topic,
  visibility,
  memberCount,
  createdAt,
});

export function createRoomService(deps: ServiceDeps, messages: MessageService) {
  async function view(caller: Caller, roomId: number): Promise<Room> {
    const [room] = await listRoomsOf(deps.pool, caller.userId, { roomId });
    if (!room) throw roomNotFound(roomId);
    return room;
  }

  async function createDirect(caller: Caller, input: DirectRoomCreateInput) {
    if (input.participant === caller.userId) {
      throw badRequest("participant", "a room is between two different users");
    }
    if (!(await findUserById(deps.pool, input.participant))) {
      throw new AppError("NOT_FOUND", `No user with id ${input.participant}`);
    }
    const { id, created } = await ensureRoom(deps.pool, caller.userId, input.participant);
    const room = await view(caller, id);
    if (created) deps.events.roomCreated(room, [caller.userId, input.participant]);
    return { room, created };
  }

  async function createGroup(caller: Caller, input: z.output<typeof GroupCreateInputSchema>) {
    const members = input.participants.filter((id) => id !== caller.userId);
    if (members.length + 1 > deps.maxGroupMembers) {
      throw badRequest("participants", `a group holds at most ${deps.maxGroupMembers} members, the owner included`);
    }
    const id = await transact(deps.pool, async (tx) => {
      await assertUsersExist(tx, members, "participants", input.participants);
      return insertGroup(tx, {
        owner: caller.userId,
        members,
        name: input.name,
        topic: input.topic ?? null,
        visibility: input.visibility,
      });
    });
    const room = await view(caller, id);
    deps.events.roomCreated(room, [caller.userId, ...members]);
    return { room, created: true };
  }

  return {
    view,

    assertMember: (caller: Caller, roomId: number) => assertMember(deps, caller, roomId),

    create(
      caller: Caller,
      input: DirectRoomCreateInput | z.output<typeof GroupCreateInputSchema>,
    ): Promise<{ room: Room; created: boolean }> {
      return "participant" in input ? createDirect(caller, input) : createGroup(caller, input);
    },

    list(caller: Caller, input: z.output<typeof RoomListInputSchema>): Promise<Room[]> {
      return listRoomsOf(deps.pool, caller.userId, input);
    },

    async update(caller: Caller, input: RoomUpdateInput): Promise<Room> {
      const version = await transact(deps.pool, async (tx) => {
        const access = await memberAccess(tx, caller, input.id, true);
        assertGroup(access);
        assertManager(access, "change the room");
        return updateGroup(tx, input.id, input);
      });
      const room = await view(caller, input.id);
      deps.events.roomUpdated(infoOf(room), version);
      return room;
    },

    async discover(caller: Caller, input: z.output<typeof PublicRoomListInputSchema>): Promise<PublicRoom[]> {
      return [...(await listPublicRooms(deps.pool, { userId: caller.userId, ...input }))];
    },

    /** Joins a public group; a member already in it gets the room as it is. */
    async join(caller: Caller, roomId: number): Promise<Room> {
      const joined = await transact(deps.pool, async (tx) => {
        const access = await roomAccess(tx, roomId, caller.userId, true);
        if (access?.role) return null;
        if (access?.kind !== "group" || access.visibility !== "public") throw roomNotFound(roomId);
        assertRoomFor(deps, access.memberCount + 1, "id");
        return addMembers(tx, roomId, [caller.userId]);
      });
      const room = await view(caller, roomId);
      for (const member of joined?.added ?? []) {
        deps.events.memberJoined({ roomId, user: member.user, role: member.role, version: joined!.version });
      }
      return room;
    },

    async changes(caller: Caller, input: z.output<typeof ChangesInputSchema>): Promise<Changes> {
      const access = await memberAccess(deps.pool, caller, input.id);
      const { version, metaVersion, messages: changed } = await changesSince(deps.pool, input.id, input.since);
      if (access.kind === "direct") return { version, messages: [...changed] };
      const members = version > input.since ? await memberChangesSince(deps.pool, input.id, input.since, version) : [];
      const room = metaVersion > input.since ? await view(caller, input.id) : null;
      return { version, messages: [...changed], members: [...members], room };
    },

    async markRead(caller: Caller, input: MarkReadInput) {
      return messages.setState(caller, { id: input.messageId, state: "lu" }, input.id);
    },
  };
}
export type RoomService = ReturnType<typeof createRoomService>;
