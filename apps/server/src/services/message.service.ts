import type { z } from "zod";

import type {
  Message,
  MessageEditInput,
  MessageListInputSchema,
  MessageSearchInputSchema,
  MessageSetStateInput,
  ReactionInput,
  Receipt,
  SendMessageInput,
  ThreadListInputSchema,
} from "@causette/contracts";
import {
  attachableFiles,
  deleteMessage,
  deriveStates,
  editMessage,
  findMessage,
  findMessageByClientId,
  listMessages,
  listThread,
  MAX_DISTINCT_REACTIONS,
  moveCursor,
  receiptsOf,
  roomAccess,
  searchMessages,
  setReaction,
  type MessageRow,
} from "@causette/db";

import { AppError, badRequest } from "../errors.ts";
import type { Caller, ServiceDeps } from "./deps.ts";
import { assertMember, roomNotFound } from "./membership.ts";
import { parseMentions } from "./mentions.ts";
import { createRoomOrder } from "./room-order.ts";
import { createSendBatcher } from "./send-batcher.ts";
import { transact } from "./transact.ts";

const RANK = { ok: 0, recu: 1, lu: 2 } as const;

function messageNotFound(id: number): AppError {
  return new AppError("NOT_FOUND", `No message with id ${id}`);
}

export function createMessageService(deps: ServiceDeps) {
  const sends = createSendBatcher(deps.pool, deps.onSendBatch);
  const order = createRoomOrder(deps.orderRoomEvents ?? true, () => deps.events.captureOrigin());

  /** The message, if it is in a room the caller is in; otherwise as if it did not exist. */
  async function visibleMessage(caller: Caller, id: number): Promise<MessageRow> {
    const message = await findMessage(deps.pool, id, caller.userId);
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

  /** Every attachment must be an upload of the caller's: 400 naming it otherwise (unknown or someone else's alike). */
  async function assertAttachments(caller: Caller, ids: readonly number[]): Promise<void> {
    const owned = await attachableFiles(deps.pool, ids, caller.userId);
    const index = ids.findIndex((id) => !owned.has(id));
    if (index >= 0) throw badRequest(`attachments.${index}`, `no upload of yours has id ${ids[index]}`);
  }

  /**
   * A thread's root must be a top-level message of the room, a quoted message a message of the room,
   * an attachment an upload of the caller's: 400 naming the field otherwise (after the 404 of a room
   * the caller is not in).
   */
  async function assertReferences(caller: Caller, input: SendMessageInput): Promise<void> {
    await assertMember(deps, caller, input.roomId);
    if (input.attachments?.length) await assertAttachments(caller, input.attachments);
    const inRoom = async (id: number | undefined) => {
      if (id === undefined) return undefined;
      const found = await findMessage(deps.pool, id, null);
      return found?.roomId === input.roomId ? found : null;
    };
    const [parent, quoted] = await Promise.all([inRoom(input.parentId), inRoom(input.quotedId)]);
    if (parent === null) throw badRequest("parentId", "must be a message of this room");
    if (parent?.parentId != null) {
      throw badRequest("parentId", "threads are one level: reply to the thread's root");
    }
    if (quoted === null) throw badRequest("quotedId", "must be a message of this room");
  }

  /** `mention` to each newly mentioned member's private channel. */
  function announceMentions(message: MessageRow, userIds: readonly number[]) {
    if (userIds.length > 0) deps.events.mentioned(message, userIds);
  }

  function announceReaction(
    event: "reaction_added" | "reaction_removed",
    message: MessageRow,
    emoji: string,
    userId: number,
  ) {
    const count = message.reactions.find((r) => r.emoji === emoji)?.count ?? 0;
    deps.events.reaction(event, {
      roomId: message.roomId,
      messageId: message.id,
      emoji,
      userId,
      version: message.version,
      count,
    });
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
      const attachments = input.attachments ?? [];
      if (input.parentId !== undefined || input.quotedId !== undefined || attachments.length > 0) {
        await assertReferences(caller, input);
      }
      const stored = await order.run(
        input.roomId,
        () =>
          sends.insert({
            roomId: input.roomId,
            sender: caller.userId,
            message: input.message,
            clientId,
            parentId: input.parentId ?? null,
            quotedId: input.quotedId ?? null,
            mentions: parseMentions(input.message),
            attachments,
          }),
        (inserted) => inserted?.message.version ?? null,
        (inserted) => {
          deps.events.messageCreated(inserted!.message);
          if (inserted!.root) deps.events.messageUpdated(inserted!.root);
          announceMentions(inserted!.message, inserted!.message.mentions);
        },
      );
      if (stored) return stored.message;
      // Nothing inserted: a retry of a stored send, no room the caller may write to, or an
      // attachment gone since it was checked.
      await assertMember(deps, caller, input.roomId);
      const first = clientId
        ? await findMessageByClientId(
            deps.pool,
            { roomId: input.roomId, sender: caller.userId, clientId },
            caller.userId,
          )
        : null;
      if (first) {
        // The first attempt may have died between its commit and its broadcast (its node, or the
        // database's answer, lost): every retry announces the message again, and clients drop what
        // they already have by id and version.
        deps.events.messageCreated(first);
        return first;
      }
      if (attachments.length > 0) await assertAttachments(caller, attachments);
      throw roomNotFound(input.roomId);
    },

    async list(caller: Caller, input: z.output<typeof MessageListInputSchema>): Promise<Message[]> {
      await assertMember(deps, caller, input.roomId);
      return listMessages(deps.pool, input.roomId, input, caller.userId);
    },

    /** A thread's replies; `id` is its root (a thread reply has no thread of its own). */
    async thread(caller: Caller, input: z.output<typeof ThreadListInputSchema>): Promise<Message[]> {
      const root = await visibleMessage(caller, input.id);
      if (root.parentId !== null) throw badRequest("id", "a thread reply has no thread: ask for its root's");
      return listThread(deps.pool, root.id, input, caller.userId);
    },

    async edit(caller: Caller, input: MessageEditInput): Promise<Message> {
      const message = await ownMessage(caller, input.id);
      const edited = await order.run(
        message.roomId,
        () =>
          editMessage(deps.pool, {
            ...input,
            roomId: message.roomId,
            sender: caller.userId,
            mentions: parseMentions(input.message),
          }),
        (row) => row?.version ?? null,
        (row) => {
          deps.events.messageUpdated(row!);
          announceMentions(
            row!,
            row!.mentions.filter((id) => !message.mentions.includes(id)),
          );
        },
      );
      if (!edited) throw new AppError("NOT_FOUND", `Message ${input.id} was deleted`);
      return edited;
    },

    async delete(caller: Caller, id: number): Promise<Message> {
      const message = await ownMessage(caller, id);
      const [deleted] = await order.run(
        message.roomId,
        () => deleteMessage(deps.pool, { id, roomId: message.roomId, sender: caller.userId }),
        ([row]) => row?.version ?? null,
        ([row, ...touched]) => {
          deps.events.messageDeleted(row!);
          // Its quotes (now showing it deleted) and its thread's root (one reply less).
          for (const other of touched) deps.events.messageUpdated(other);
        },
      );
      if (!deleted) throw new AppError("NOT_FOUND", `Message ${id} was deleted`);
      return deleted;
    },

    /** Adds the caller's reaction; a second add answers the message as it is. */
    async react(caller: Caller, input: ReactionInput): Promise<Message> {
      const message = await visibleMessage(caller, input.id);
      const reacted = await order.run(
        message.roomId,
        () => setReaction(deps.pool, { ...input, roomId: message.roomId, userId: caller.userId }, true),
        (row) => row?.version ?? null,
        (row) => announceReaction("reaction_added", row!, input.emoji, caller.userId),
      );
      if (reacted) return reacted;
      const now = await visibleMessage(caller, input.id);
      if (now.deletedAt) throw new AppError("NOT_FOUND", `Message ${input.id} was deleted`);
      if (!now.reactions.some((r) => r.emoji === input.emoji) && now.reactions.length >= MAX_DISTINCT_REACTIONS) {
        throw badRequest("emoji", `a message holds at most ${MAX_DISTINCT_REACTIONS} distinct emoji`);
      }
      return now;
    },

    /** Removes the caller's reaction; without one, answers the message as it is. */
    async unreact(caller: Caller, input: ReactionInput): Promise<Message> {
      const message = await visibleMessage(caller, input.id);
      const unreacted = await order.run(
        message.roomId,
        () => setReaction(deps.pool, { ...input, roomId: message.roomId, userId: caller.userId }, false),
        (row) => row?.version ?? null,
        (row) => announceReaction("reaction_removed", row!, input.emoji, caller.userId),
      );
      return unreacted ?? visibleMessage(caller, input.id);
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
      const result = await order.run(
        message.roomId,
        () =>
          transact(deps.pool, async (tx) => {
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
            const touched = await deriveStates(tx, {
              roomId: message.roomId,
              after,
              upTo: message.id,
              version,
              viewer: caller.userId,
            });
            return { moved, touched, version: touched.length > 0 ? version : room.version };
          }),
        (moved) => moved?.version ?? null,
        (moved) => {
          announceStates(moved!.touched, caller.userId);
          if (moved!.moved.readAfter > moved!.moved.readBefore) {
            deps.events.readMarker({
              roomId: message.roomId,
              userId: caller.userId,
              lastReadId: moved!.moved.readAfter,
              version: moved!.version,
            });
          }
        },
      );
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
