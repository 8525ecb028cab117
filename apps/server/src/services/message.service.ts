import type { z } from "zod";

import type {
  Message,
  MessageEditInput,
  MessageListInputSchema,
  MessageSearchInputSchema,
  MessageSetStateInput,
  SendMessageInput,
} from "@causette/contracts";
import {
  advanceState,
  deleteMessage,
  editMessage,
  findMessage,
  findMessageByClientId,
  listMessages,
  searchMessages,
  type MessageRow,
} from "@causette/db";

import { AppError } from "../errors.ts";
import type { Caller, ServiceDeps } from "./deps.ts";
import { assertMember, roomNotFound } from "./room.service.ts";
import { createSendBatcher } from "./send-batcher.ts";

const RANK = { ok: 0, recu: 1, lu: 2 } as const;

function messageNotFound(id: number): AppError {
  return new AppError("NOT_FOUND", `No message with id ${id}`);
}

export function createMessageService(deps: ServiceDeps) {
  const sends = createSendBatcher(deps.pool);

  /** The message, if it is in a room the caller is in; otherwise as if it did not exist. */
  async function visibleMessage(caller: Caller, id: number): Promise<MessageRow> {
    const message = await findMessage(deps.pool, id);
    if (!message) throw messageNotFound(id);
    try {
      await assertMember(deps, caller, message.roomId);
    } catch {
      throw messageNotFound(id);
    }
    return message;
  }

  async function ownMessage(caller: Caller, id: number): Promise<MessageRow> {
    const message = await visibleMessage(caller, id);
    if (message.sender !== caller.userId) {
      throw new AppError("FORBIDDEN", "Only the sender may change this message");
    }
    if (message.deletedAt) throw new AppError("NOT_FOUND", `Message ${id} was deleted`);
    return message;
  }

  return {
    /** Every surface's sends (REST, tRPC batched or not, socket.io) spend the sender's one budget. */
    async send(caller: Caller, input: SendMessageInput): Promise<Message> {
      await deps.limits.send(caller.userId);
      const clientId = input.clientId ?? null;
      const stored = await sends.insert({
        roomId: input.roomId,
        sender: caller.userId,
        message: input.message,
        clientId,
      });
      if (stored) {
        deps.events.messageCreated(stored);
        return stored;
      }
      // Nothing inserted: either a retry of a stored send, or no room the caller may write to.
      await assertMember(deps, caller, input.roomId);
      const first = clientId
        ? await findMessageByClientId(deps.pool, { roomId: input.roomId, sender: caller.userId, clientId })
        : null;
      if (!first) throw roomNotFound(input.roomId);
      return first;
    },

    async list(caller: Caller, input: z.output<typeof MessageListInputSchema>): Promise<Message[]> {
      await assertMember(deps, caller, input.roomId);
      return listMessages(deps.pool, input.roomId, input);
    },

    async edit(caller: Caller, input: MessageEditInput): Promise<Message> {
      const message = await ownMessage(caller, input.id);
      const edited = await editMessage(deps.pool, { ...input, roomId: message.roomId, sender: caller.userId });
      if (!edited) throw new AppError("NOT_FOUND", `Message ${input.id} was deleted`);
      deps.events.messageUpdated(edited);
      return edited;
    },

    async delete(caller: Caller, id: number): Promise<Message> {
      const message = await ownMessage(caller, id);
      const deleted = await deleteMessage(deps.pool, { id, roomId: message.roomId, sender: caller.userId });
      if (!deleted) throw new AppError("NOT_FOUND", `Message ${id} was deleted`);
      deps.events.messageDeleted(deleted);
      return deleted;
    },

    /**
     * Moves the message, and every earlier one from the same sender, at least to `state`. Only the
     * recipient may; an earlier state leaves everything as it is. `inRoom` scopes the message to a room.
     */
    async setState(caller: Caller, input: MessageSetStateInput, inRoom?: number): Promise<Message> {
      const message = await visibleMessage(caller, input.id);
      if (inRoom !== undefined && message.roomId !== inRoom) throw messageNotFound(input.id);
      if (message.sender === caller.userId) {
        throw new AppError("FORBIDDEN", "Only the recipient sets a message's state");
      }
      if (RANK[input.state] <= RANK[message.state]) return message;
      const touched = await advanceState(deps.pool, {
        roomId: message.roomId,
        sender: message.sender,
        recipient: caller.userId,
        upToId: message.id,
        state: input.state,
      });
      const updated = touched.find((m) => m.id === message.id);
      if (touched.length > 0) {
        deps.events.stateChanged(
          {
            roomId: message.roomId,
            messageId: message.id,
            state: input.state,
            version: touched[0]!.version,
            userId: caller.userId,
          },
          touched,
        );
      }
      // Not among the touched: a concurrent call moved it first, or it was deleted meanwhile.
      return updated ?? (await visibleMessage(caller, message.id));
    },

    async search(caller: Caller, input: z.output<typeof MessageSearchInputSchema>): Promise<Message[]> {
      if (input.roomId !== undefined) await assertMember(deps, caller, input.roomId);
      return [...(await searchMessages(deps.pool, { userId: caller.userId, ...input }))];
    },
  };
}
export type MessageService = ReturnType<typeof createMessageService>;
