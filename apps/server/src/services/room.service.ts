import type { z } from "zod";

import type { Changes, ChangesInputSchema, MarkReadInput, Room, RoomCreateInput } from "@causette/contracts";
import { changesSince, ensureRoom, findUserById, listRoomsOf } from "@causette/db";

import { AppError, badRequest } from "../errors.ts";
import type { Caller, ServiceDeps } from "./deps.ts";
import { assertMember, roomNotFound } from "./membership.ts";
import type { MessageService } from "./message.service.ts";

export function createRoomService(deps: ServiceDeps, messages: MessageService) {
  async function view(caller: Caller, roomId: number): Promise<Room> {
    const [room] = await listRoomsOf(deps.pool, caller.userId, roomId);
    if (!room) throw roomNotFound(roomId);
    return room;
  }

  return {
    view,

    async create(caller: Caller, input: RoomCreateInput): Promise<{ room: Room; created: boolean }> {
      if (input.participant === caller.userId) {
        throw badRequest("participant", "a room is between two different users");
      }
      if (!(await findUserById(deps.pool, input.participant))) {
        throw new AppError("NOT_FOUND", `No user with id ${input.participant}`);
      }
      const { id, created } = await ensureRoom(deps.pool, caller.userId, input.participant);
      const room = await view(caller, id);
      if (created) deps.events.roomCreated(room);
      return { room, created };
    },

    list(caller: Caller): Promise<Room[]> {
      return listRoomsOf(deps.pool, caller.userId);
    },

    async changes(caller: Caller, input: z.output<typeof ChangesInputSchema>): Promise<Changes> {
      await assertMember(deps, caller, input.id);
      const { version, messages: changed } = await changesSince(deps.pool, input.id, input.since);
      return { version, messages: [...changed] };
    },

    async markRead(caller: Caller, input: MarkReadInput) {
      return messages.setState(caller, { id: input.messageId, state: "lu" }, input.id);
    },
  };
}
export type RoomService = ReturnType<typeof createRoomService>;
