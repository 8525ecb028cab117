import { AsyncLocalStorage } from "node:async_hooks";

import type { ChatEvents } from "../services/index.ts";
import { roomChannel, userChannel, type ChatServer } from "./types.ts";

/**
 * The socket whose event caused the write being broadcast, when it asked for an ack: it learns the
 * result from the ack, so the broadcast skips it. Writes from REST or tRPC have no origin.
 */
export const origin = new AsyncLocalStorage<{ socketId: string }>();

/** The one place that turns committed writes into socket.io events, whatever surface they came from. */
export function createBroadcaster(io: ChatServer): Omit<ChatEvents, "tokensRevoked"> {
  const toRoom = (roomId: number) => {
    const socketId = origin.getStore()?.socketId;
    return socketId ? io.to(roomChannel(roomId)).except(socketId) : io.to(roomChannel(roomId));
  };
  return {
    messageCreated: (message) => toRoom(message.roomId).emit("receive_message", message),
    messageUpdated: (message) => toRoom(message.roomId).emit("message_updated", message),
    messageDeleted: (message) => toRoom(message.roomId).emit("message_deleted", message),
    stateChanged: (change) => toRoom(change.roomId).emit("message_state_update", change),
    roomCreated: (room) => {
      io.to(room.participants.map((p) => userChannel(p.id))).emit("room_created", room);
    },
  };
}
