import { AsyncLocalStorage } from "node:async_hooks";

import type { MessageRow } from "@causette/db";

import type { ChatEvents } from "../services/index.ts";
import { roomChannel, userChannel, type ChatServer } from "./types.ts";

/**
 * The socket whose event caused the write being broadcast, when it asked for an ack: it learns the
 * result from the ack, so the broadcast skips it. Writes from REST or tRPC have no origin.
 */
export const origin = new AsyncLocalStorage<{ socketId: string }>();

/** Rounds of "leave, then check every node" before the remaining sockets are disconnected instead. */
const EVICTION_ROUNDS = 3;

/**
 * Takes every socket of the user, on every node, out of the room's channel, and resolves once every
 * node answers that none is left in it. socket.io's `socketsLeave` only publishes the request to the
 * other nodes, so the check asks them (`fetchSockets` waits for each node's answer); Redis delivers a
 * node's requests in order, so the check normally confirms the first round. A socket that stays in
 * is disconnected (it reconnects without the room). With Redis down, this node's sockets are out
 * and the others cannot receive the room's events anyway.
 */
async function evict(io: ChatServer, roomId: number, userId: number): Promise<void> {
  const channel = roomChannel(roomId);
  const sockets = () => io.in(userChannel(userId));
  io.local.in(userChannel(userId)).socketsLeave(channel);
  try {
    for (let round = 0; round < EVICTION_ROUNDS; round += 1) {
      sockets().socketsLeave(channel);
      const still = (await sockets().fetchSockets()).filter((socket) => socket.rooms.has(channel));
      if (still.length === 0) return;
      if (round === EVICTION_ROUNDS - 1) for (const socket of still) socket.disconnect(true);
    }
  } catch {
    // Redis is unreachable: see above.
  }
}

/**
 * A message as every member receives it: one payload serves them all, so no reaction is marked as
 * the receiver's (`me` false); `reaction_added`/`reaction_removed` name who reacted.
 */
const shared = (message: MessageRow): MessageRow =>
  message.reactions.some((r) => r.me)
    ? { ...message, reactions: message.reactions.map((r) => ({ ...r, me: false })) }
    : message;

/** The one place that turns committed writes into socket.io events, whatever surface they came from. */
export function createBroadcaster(io: ChatServer): Omit<ChatEvents, "tokensRevoked"> {
  const direct = (announce: () => void) => announce();
  const toRoom = (roomId: number) => {
    const socketId = origin.getStore()?.socketId;
    return socketId ? io.to(roomChannel(roomId)).except(socketId) : io.to(roomChannel(roomId));
  };
  /** The room's sockets and the user's own (who may not have joined the room's channel). */
  const toRoomAndUser = (roomId: number, userId: number) => io.to([roomChannel(roomId), userChannel(userId)]);
  return {
    captureOrigin() {
      const store = origin.getStore();
      return store ? (announce) => origin.run(store, announce) : direct;
    },
    messageCreated: (message) => toRoom(message.roomId).emit("receive_message", shared(message)),
    messageUpdated: (message) => toRoom(message.roomId).emit("message_updated", shared(message)),
    messageDeleted: (message) => toRoom(message.roomId).emit("message_deleted", shared(message)),
    stateChanged: (change) => toRoom(change.roomId).emit("message_state_update", change),
    roomCreated: (room, [creator, ...others]) => {
      // The creator's view; the others' role is `member` (in a direct room, both are).
      if (creator !== undefined) io.to(userChannel(creator)).emit("room_created", room);
      if (others.length > 0) io.to(others.map(userChannel)).emit("room_created", { ...room, role: "member" });
    },
    readMarker: (marker) => toRoom(marker.roomId).emit("read_marker", marker),
    memberJoined: (event) => toRoomAndUser(event.roomId, event.user.id).emit("member_joined", event),
    async memberLeft(event) {
      await evict(io, event.roomId, event.userId);
      toRoomAndUser(event.roomId, event.userId).emit("member_left", event);
    },
    roomUpdated: (room, version) => toRoom(room.id).emit("room_updated", { room, version }),
    reaction: (event, payload) => toRoom(payload.roomId).emit(event, payload),
    mentioned: (message, userIds) =>
      io.to(userIds.map(userChannel)).emit("mention", { roomId: message.roomId, message: shared(message) }),
  };
}
