import type { z } from "zod";

import type {
  Message,
  MessageEditInput,
  MessageListInputSchema,
  MessageSearchInputSchema,
  MessageSetStateInput,
  Receipt,
  SendMessageInput,
} from "@causette/contracts";
import {
  deleteMessage,
  deriveStates,
  editMessage,
  findMessage,
  findMessageByClientId,
  listMessages,
  moveCursor,
  receiptsOf,
  roomAccess,
  searchMessages,
  type MessageRow,
} from "@causette/db";

import { AppError } from "../errors.ts";
import type { Caller, ServiceDeps } from "./deps.ts";
import { assertMember, roomNotFound } from "./membership.ts";
import { createSendBatcher } from "./send-batcher.ts";
import { transact } from "./transact.ts";

const RANK = { ok: 0, recu: 1, lu: 2 } as const;

function messageNotFound(id: number): AppError {
  return new AppError("NOT_FOUND", `No message with id ${id}`);
}

export function createMessageService(deps: ServiceDeps) {
  const sends = createSendBatcher(deps.pool, deps.onSendBatch);

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

  /**
   * One `message_state_update` per sender and state among the messages whose state just moved: the
   * newest such message, which stands for every earlier one of that sender (receipts are cumulative).
   */
  function announceStates(touched: readonly MessageRow[], userId: number) {
    const newest = new Map<string, MessageRow>();
    for (const m of touched) {
      const key = `${m.sender}:${m.state}`;
      if ((newest.get(key)?.id ?? 0) < m.id) newest.set(key, m);
    }
    for (const m of newest.values()) {
      deps.events.stateChanged(
        { roomId: m.roomId, messageId: m.id, state: m.state, version: m.version, userId },
        touched.filter((t) => t.sender === m.sender && t.state === m.state),
      );
    }
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
     * Moves the caller's delivered position (and read position, for `lu`) to the message: in a
     * direct room that moves the message, and every earlier one from the same sender, at least to
     * `state`; in a group a message moves once every other member got as far. Only a recipient
     * may; an earlier state leaves everything as it is. `inRoom` scopes the message to a room.
     */
    async setState(caller: Caller, input: MessageSetStateInput, inRoom?: number): Promise<Message> {
      const message = await visibleMessage(caller, input.id);
      if (inRoom !== undefined && message.roomId !== inRoom) throw messageNotFound(input.id);
      if (message.sender === caller.userId) {
        throw new AppError("FORBIDDEN", "Only the recipient sets a message's state");
      }
      if (input.state === "ok" || RANK[input.state] <= RANK[message.state]) return message;
      const state = input.state;
      const result = await transact(deps.pool, async (tx) => {
        // The room's lock orders position moves, so the positions each move reads are the latest.
        const room = await roomAccess(tx, message.roomId, caller.userId, true);
        if (!room?.role) throw messageNotFound(input.id);
        const moved = await moveCursor(tx, {
          roomId: message.roomId,
          userId: caller.userId,
          upToId: message.id,
          state,
        });
        if (!moved) return null;
        const after = state === "lu" ? moved.readBefore : moved.deliveredBefore;
        const version = room.version + 1;
        const touched = await deriveStates(tx, { roomId: message.roomId, after, upTo: message.id, version });
        return { moved, touched, version: touched.length > 0 ? version : room.version };
      });
      if (result) {
        announceStates(result.touched, caller.userId);
        if (result.moved.readAfter > result.moved.readBefore) {
          deps.events.readMarker({
            roomId: message.roomId,
            userId: caller.userId,
            lastReadId: result.moved.readAfter,
            version: result.version,
          });
        }
      }
      const updated = result?.touched.find((m) => m.id === message.id);
      // Not among the touched: other members hold it back, a concurrent call moved it first, or it was deleted.
      return updated ?? (await visibleMessage(caller, message.id));
    },

    /** How far each other member got with the message. */
    async receipts(caller: Caller, id: number): Promise<Receipt[]> {
      const message = await visibleMessage(caller, id);
      return [...(await receiptsOf(deps.pool, message))];
    },

    announceStates,

    async search(caller: Caller, input: z.output<typeof MessageSearchInputSchema>): Promise<Message[]> {
      if (input.roomId !== undefined) await assertMember(deps, caller, input.roomId);
      return [...(await searchMessages(deps.pool, { userId: caller.userId, ...input }))];
    },
  };
}
export type MessageService = ReturnType<typeof createMessageService>;
